FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 patch && rm -rf /var/lib/apt/lists/*
RUN update-alternatives --install /usr/bin/python python /usr/bin/python3 1 \
    && fc-cache -f \
    && patch -p1 -d /usr/lib/python3 < /tmp/fix.patch \
    && strip /usr/bin/python3 \
    && python3 -c "print(1)" \
    && update-alternatives --set python /usr/bin/python3
CMD ["python"]
