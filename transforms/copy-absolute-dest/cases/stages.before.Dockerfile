FROM golang:1.24 AS build
COPY go.mod ./
RUN go mod download

FROM build AS test
COPY main.go ./

FROM alpine:3.20
COPY --from=build /go/bin/app bin/
