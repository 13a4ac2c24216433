FROM a
RUN set -eux; \
    # install
    apt-get update; \

    # cleanup
    rm -rf /var/lib/apt/lists/*
