FROM alpine:3.19
RUN --mount=type=cache,target=/var/cache/apk apk add curl
RUN apk add $PKGS && apk add --bogus x
RUN apk -p /sysroot add musl
