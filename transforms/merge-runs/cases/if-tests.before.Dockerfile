FROM debian:bookworm-slim
ARG HTTP_PROXY
ARG HTTPS_PROXY
RUN if [ -n "${HTTP_PROXY}" ]; then echo "Acquire::http::proxy \"${HTTP_PROXY}\";" >> /etc/apt/apt.conf; fi
RUN if [ -n "${HTTPS_PROXY}" ]; then echo "Acquire::https::proxy \"${HTTPS_PROXY}\";" >> /etc/apt/apt.conf; fi
RUN [ -f /etc/apt/apt.conf ] && chmod 644 /etc/apt/apt.conf
RUN for f in a b; do mkdir "/srv/$f"; done
RUN mkdir /srv/c
RUN [ -d /srv/c ] || mkdir /srv/c
RUN mkdir /srv/d
