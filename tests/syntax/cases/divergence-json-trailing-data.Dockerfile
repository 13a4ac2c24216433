FROM a
RUN ["echo", "a"] extra
CMD ["x"] # not a comment
