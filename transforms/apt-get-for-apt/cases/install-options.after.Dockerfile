FROM example.com/base:1
RUN apt-get update && apt-get -o APT::Keep-Downloaded-Packages=false -o Dpkg::Options::=--force-confold install -y --no-install-recommends curl
RUN apt -o APT::Keep-Downloaded-Packages=true install -y wget
RUN apt -c /etc/apt/custom.conf install -y git
RUN apt install -y 'libpq*'
