FROM python:3.11-slim AS build
RUN pip wheel --wheel-dir /wheels a
RUN pip wheel --wheel-dir /wheels b

FROM python:3.11-slim
RUN pip install c
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links /wheels a b
RUN pip check
