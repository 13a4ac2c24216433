FROM fedora:40
RUN dnf install -y gcc
RUN dnf -C install -y make
RUN dnf install -y --downloadonly vim
RUN --mount=type=cache,target=/var/cache/libdnf5 dnf install -y zip
RUN dnf install -y --installroot=/sysroot bash
RUN dnf install -y git && dnf clean all
