FROM python:3.12-slim AS runtime
WORKDIR /code
COPY src/ src/
ENTRYPOINT ["python", "-m", "src"]

FROM runtime AS test
RUN pip install pytest==8.3.3
COPY tests/ tests/
RUN python -m pytest -q tests
