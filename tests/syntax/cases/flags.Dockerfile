FROM --platform=$BUILDPLATFORM golang:1.22 AS build
RUN --mount=type=cache,target=/root/.cache --network=none go build
RUN --security=insecure echo
COPY --from=build --chown=1000:1000 --chmod=755 --link /out /bin/app
ADD --checksum=sha256:abc https://x/y /z
COPY --chown="app user" a b
COPY -- --weird /dst
