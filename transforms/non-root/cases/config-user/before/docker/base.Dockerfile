FROM ubuntu:24.04
RUN apt-get update && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/ml
COPY ml/ ml/
ENTRYPOINT ["python3", "-m", "ml"]
