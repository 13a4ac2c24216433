FROM debian:bookworm
RUN	apt-get update; \
	apt-get -y install \
	libffi-dev \
	libssl-dev && rm -rf /var/lib/apt/lists/*;
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*;  
RUN apt-get update && find /etc -name x -exec ls {} \;
