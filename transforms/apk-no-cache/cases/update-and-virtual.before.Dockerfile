FROM alpine:3.19
RUN apk update && apk add --virtual .build-deps gcc musl-dev \
    && apk del .build-deps
RUN apk --no-cache add bash && apk add -U git
RUN apk add --update \
    curl \
    jq
