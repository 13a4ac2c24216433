FROM alpine:3.20
RUN <<-EOT
	apk add curl
EOT
RUN <<EOF
#!/bin/sh
apk add make
EOF
RUN <<EOF sh
apk add jq
EOF
