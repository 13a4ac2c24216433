FROM ubuntu:22.04 AS build
RUN apt update && apt install -y make
FROM example.com/runtime:1
RUN apt update && apt install -y libc6
