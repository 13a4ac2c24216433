FROM alpine:3.19
RUN apk add curl=8.5.0-r0 \
        ca-certificates
