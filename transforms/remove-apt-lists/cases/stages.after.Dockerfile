FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc
RUN cc --version > /v

FROM debian:12-slim AS runtime-base
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*

FROM runtime-base
COPY --from=build /v /v
RUN curl --version > /curl-version
