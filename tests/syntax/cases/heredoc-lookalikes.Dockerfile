FROM a
RUN <<EOF
EOF 
 EOF
EOFX
line \
EOF
RUN echo after
