FROM a
RUN ["sh", "-c", "cat <<EOF"]
CMD x
