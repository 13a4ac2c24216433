FROM a
RUN <<EOF
echo hi
EOF
CMD x
