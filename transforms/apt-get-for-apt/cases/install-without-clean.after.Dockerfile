FROM example.com/base:1
RUN apt-get update && apt-get -o APT::Keep-Downloaded-Packages=false install -y curl
RUN apt-get remove -y vim && apt-get autoremove -y
