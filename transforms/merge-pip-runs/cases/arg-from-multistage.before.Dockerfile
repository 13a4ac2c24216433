ARG BASE_IMAGE=acme-base:latest
FROM ${BASE_IMAGE} AS deps
RUN pip install --user a
RUN pip3 install --user b

FROM ${BASE_IMAGE}
COPY --from=deps /root/.local /root/.local
RUN pip install c
RUN /usr/local/bin/pip install d
