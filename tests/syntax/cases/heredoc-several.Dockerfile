FROM a
RUN <<A cat && <<B cat
a1
A
b1
B
CMD x
