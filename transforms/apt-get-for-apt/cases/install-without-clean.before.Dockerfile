FROM example.com/base:1
RUN apt update && apt install -y curl
RUN apt remove -y vim && apt autoremove -y
