FROM a
COPY <<EOF /etc/app.conf
key=value
# not a comment
EOF
COPY --chmod=755 <<-EOT /usr/local/bin/run
	#!/bin/sh
	exec app
	EOT
