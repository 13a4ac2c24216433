FROM a
RUN echo "it <<EOF
CMD x
