FROM python:3.11-slim
RUN mkdir -p /wheels
RUN pip install --no-build-isolation "transformer-engine==${TE_VERSION}" \
    && cp /root/.cache/pip/wheels/*/transformer_engine*.whl /wheels/ 2>/dev/null || true
RUN pip install six==1.16.0
