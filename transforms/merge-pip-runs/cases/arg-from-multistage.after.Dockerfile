ARG BASE_IMAGE=acme-base:latest
FROM ${BASE_IMAGE} AS deps
RUN pip install --user a && pip3 install --user b

FROM ${BASE_IMAGE}
COPY --from=deps /root/.local /root/.local
RUN pip install c && /usr/local/bin/pip install d
