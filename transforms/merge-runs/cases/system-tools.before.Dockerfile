FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 patch && rm -rf /var/lib/apt/lists/*
RUN update-alternatives --install /usr/bin/python python /usr/bin/python3 1
RUN fc-cache -f
RUN patch -p1 -d /usr/lib/python3 < /tmp/fix.patch
RUN strip /usr/bin/python3
RUN python3 -c "print(1)"
RUN update-alternatives --set python /usr/bin/python3
CMD ["python"]
