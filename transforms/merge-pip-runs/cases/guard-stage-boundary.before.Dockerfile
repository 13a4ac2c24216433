FROM python:3.11-slim AS one
RUN pip install a
FROM one
RUN pip install b
