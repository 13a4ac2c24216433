# syntax=docker/dockerfile:1.7
ARG PYTHON_VERSION=3.12
ARG DEBIAN=bookworm

FROM python:${PYTHON_VERSION}-slim-${DEBIAN} AS deps
COPY requirements.txt /tmp/
RUN pip install --user -r /tmp/requirements.txt

FROM python:${PYTHON_VERSION}-slim-${DEBIAN} AS runtime
ENV PATH="/home/appuser/.local/bin:${PATH}" PYTHONPATH=/code
WORKDIR /code
RUN groupadd --gid 1000 appuser \
    && useradd --uid 1000 --gid appuser --create-home appuser \
    && chown appuser:appuser /code
COPY --from=deps --chown=appuser:appuser /root/.local/ /home/appuser/.local/
COPY --link --chown=appuser:appuser src/ src/
USER appuser
HEALTHCHECK CMD python -c "import src"
ENTRYPOINT ["python", "-m", "src"]

FROM runtime AS test
COPY --chown=appuser:appuser tests/ tests/
USER root
RUN python -m unittest discover tests
USER appuser
