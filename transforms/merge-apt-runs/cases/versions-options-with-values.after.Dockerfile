FROM debian:12
RUN apt-get update && apt-get install -y -o Dpkg::Options::="--force-confold" \
    libpq5=15.6-0+deb12u1 \
    'python3-*' \
    curl \
    && rm -rf /var/lib/apt/lists/*
