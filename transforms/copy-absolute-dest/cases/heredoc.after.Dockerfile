# syntax=docker/dockerfile:1.4
FROM python:3.12-slim
COPY <<EOF /app.conf
listen = 8080 # a body line that ends in app.conf
EOF

COPY <<EOF /etc/
[main]
EOF

FROM babashka/babashka:latest
COPY <<EOF pull_model.clj
(println "pull")
EOF
