FROM a
RUN <<"EOF" sh
echo $HOME
EOF
RUN <<'X' sh
x
X
