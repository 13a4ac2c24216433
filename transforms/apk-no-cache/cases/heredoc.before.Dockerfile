FROM golang:1.22-alpine AS builder
RUN <<EOF
apk update
apk add git
EOF

RUN <<-EOT
	apk add curl
EOT
RUN <<EOF
#!/bin/sh
apk add make
EOF
RUN <<EOF
apk add bash
EOF
