# A single image on an official base whose user is known (root): the common case. It gets
# the user, its app files via --chown, and USER after its last RUN and COPY.
FROM python:3.12-slim
WORKDIR /app
RUN groupadd --gid 1000 appuser \
    && useradd --uid 1000 --gid appuser --create-home appuser \
    && chown appuser:appuser /app
COPY --chown=appuser:appuser . .
USER appuser
CMD ["python", "main.py"]
