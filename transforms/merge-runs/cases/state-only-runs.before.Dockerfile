FROM golang:1.23 AS builder
WORKDIR /go/src/app
RUN mkdir -p cmd/app
# a RUN that only changes the shell's state does nothing for the next RUN: merged, it keeps to a subshell
RUN cd cmd/app
RUN CGO_ENABLED=0 go build -o /go/bin/app ./...
FROM python:3.12-slim
COPY --from=builder /go/bin/app /usr/local/bin/app
RUN export FLASK_APP=app.py
RUN pip install --no-cache-dir flask==3.0.3
RUN umask 077
