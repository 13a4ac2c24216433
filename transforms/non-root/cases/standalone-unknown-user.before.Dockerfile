# nvidia/cuda's Dockerfiles are not read (model.bases knows only what its tag spells): whom
# it runs as is not known, so the image is left alone, with a note.
FROM nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04
RUN apt-get update && apt-get install -y --no-install-recommends python3 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
CMD ["python3", "main.py"]
