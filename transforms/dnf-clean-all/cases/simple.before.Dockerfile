FROM fedora:40
RUN dnf install -y gcc make
CMD ["make", "--version"]
