FROM a
EXPOSE 8000/tcp 53/udp
VOLUME /data /logs
VOLUME ["/x"]
WORKDIR /app dir
USER app:app
STOPSIGNAL SIGTERM
MAINTAINER me <me@x>
