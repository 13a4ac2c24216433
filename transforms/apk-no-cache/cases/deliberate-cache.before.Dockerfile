FROM alpine:3.19
RUN ln -s /var/cache/apk /etc/apk/cache
RUN apk add curl
