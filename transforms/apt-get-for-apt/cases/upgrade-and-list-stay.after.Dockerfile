FROM ubuntu:22.04
RUN apt-get update && apt upgrade -y
RUN apt list --installed
RUN "apt" update && /usr/bin/apt update && apt $SUB
