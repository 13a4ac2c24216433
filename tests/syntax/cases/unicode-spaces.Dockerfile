FROM a
 RUN echo nbsp
RUN echo　ideographic
ENV K=v w
