FROM ubuntu:22.04
# OCR
# video
RUN apt-get update && apt-get install -y --no-install-recommends \
    tesseract-ocr \
    ffmpeg \
    && rm -rf /var/lib/apt/lists/*
CMD ["bash"]
