FROM alpine:3.20
ENV BUILD_DEPS="autoconf build-base libtool"
# a variable the script sets literally, split into packages
RUN buildDeps=" \
        curl \
        make \
    "; \
    set -x \
    && apk add --update --virtual .build-deps $buildDeps \
    && apk del .build-deps
# a variable the file's ENV sets
RUN apk add --update $BUILD_DEPS && apk del $BUILD_DEPS
# ... not one a build argument decides, nor one the shell would glob
ARG EXTRA=git
RUN apk add $EXTRA
RUN pkgs="so:*"; apk add $pkgs
# ... nor a word whose fields hold the sub-command and more: the option would land after them
RUN cmd="add git"; apk $cmd
