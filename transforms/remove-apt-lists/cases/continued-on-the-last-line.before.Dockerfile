FROM debian:12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       curl ca-certificates \
    && apt-get clean
CMD ["curl", "--version"]
