FROM a   
RUN echo x	 

   
CMD y  
