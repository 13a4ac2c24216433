FROM a
RUN <<EOF
apt-get update
EOF
CMD x
