# syntax=docker/dockerfile:1.7
# escape=\
# check=skip=all
FROM a
RUN x \
 y
