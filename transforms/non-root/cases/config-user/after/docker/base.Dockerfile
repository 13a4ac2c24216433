FROM ubuntu:24.04
RUN apt-get update && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/ml
RUN groupadd --gid 10001 svc \
 && useradd --uid 10001 --gid svc --create-home svc \
 && chown svc:svc /opt/ml
COPY --chown=svc:svc ml/ ml/
USER svc
ENTRYPOINT ["python3", "-m", "ml"]
