FROM ubuntu:22.04 AS build
RUN apt-get update && apt-get install -y make
FROM example.com/runtime:1
RUN apt-get update && apt-get -o APT::Keep-Downloaded-Packages=false install -y libc6
