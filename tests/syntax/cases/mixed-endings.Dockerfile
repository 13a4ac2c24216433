FROM a
RUN echo 1
RUN echo 2 \
  three
CMD x
