FROM alpine:3.19
RUN apk update && apk add --no-cache --virtual .build-deps gcc musl-dev \
    && apk del .build-deps
RUN apk --no-cache add bash && apk add --no-cache -U git
RUN apk add --no-cache --update \
    curl \
    jq
