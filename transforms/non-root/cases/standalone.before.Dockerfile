# A single image that nothing in the repository builds FROM: not an in-repo base,
# so non-root does not consider it (making a leaf image non-root is a change of its own).
FROM python:3.12-slim
WORKDIR /app
COPY . .
CMD ["python", "main.py"]
