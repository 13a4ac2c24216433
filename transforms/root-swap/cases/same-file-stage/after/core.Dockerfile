FROM python:3.12-slim AS runtime
WORKDIR /code
RUN groupadd --gid 1000 appuser \
    && useradd --uid 1000 --gid appuser --create-home appuser \
    && chown appuser:appuser /code
COPY --chown=appuser:appuser src/ src/
USER appuser
ENTRYPOINT ["python", "-m", "src"]

FROM runtime AS test
USER root
RUN pip install pytest==8.3.3
COPY --chown=appuser:appuser tests/ tests/
RUN python -m pytest -q tests
USER appuser
