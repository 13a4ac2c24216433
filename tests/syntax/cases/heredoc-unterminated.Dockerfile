FROM a
RUN <<EOF
echo
