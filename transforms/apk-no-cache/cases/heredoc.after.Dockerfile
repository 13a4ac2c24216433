FROM golang:1.22-alpine AS builder
RUN <<EOF
apk update
apk add --no-cache git
EOF

RUN <<EOF
apk add --no-cache bash
EOF
