FROM debian:bookworm
RUN	apt-get update; \
	apt-get -y install \
	libffi-dev \
	libssl-dev;
RUN apt-get update && apt-get install -y curl;  
RUN apt-get update && find /etc -name x -exec ls {} \;
