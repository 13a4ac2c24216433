FROM golang:1.22-alpine AS builder
RUN <<EOF
apk update
apk add git
EOF

RUN <<EOF
apk add bash
EOF
