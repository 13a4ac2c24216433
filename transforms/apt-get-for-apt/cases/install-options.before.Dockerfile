FROM example.com/base:1
RUN apt update && apt -o Dpkg::Options::=--force-confold install -y --no-install-recommends curl
RUN apt -o APT::Keep-Downloaded-Packages=true install -y wget
RUN apt -c /etc/apt/custom.conf install -y git
RUN apt install -y 'libpq*'
