FROM ubuntu:22.04
RUN apt update && apt upgrade -y
RUN apt list --installed
RUN "apt" update && /usr/bin/apt update && apt $SUB
