FROM a
FOO bar baz
CMD x
