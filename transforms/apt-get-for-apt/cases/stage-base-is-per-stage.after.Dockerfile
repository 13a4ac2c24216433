FROM ubuntu:22.04 AS build
RUN apt-get update && apt-get install -y make
FROM example.com/runtime:1
RUN apt-get update && apt install -y libc6
