# syntax=docker/dockerfile:1.7
ARG PYTHON_VERSION=3.12
ARG DEBIAN=bookworm

FROM python:${PYTHON_VERSION}-slim-${DEBIAN} AS deps
COPY requirements.txt /tmp/
RUN pip install --user -r /tmp/requirements.txt

FROM python:${PYTHON_VERSION}-slim-${DEBIAN} AS runtime
ENV PATH="/root/.local/bin:${PATH}" PYTHONPATH=/code
WORKDIR /code
COPY --from=deps /root/.local/ /root/.local/
COPY --link src/ src/
HEALTHCHECK CMD python -c "import src"
ENTRYPOINT ["python", "-m", "src"]

FROM runtime AS test
COPY tests/ tests/
RUN python -m unittest discover tests
