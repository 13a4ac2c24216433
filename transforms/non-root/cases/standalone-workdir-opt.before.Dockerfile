# The process runs in /opt, a directory non-root does not give away: the user could not
# write it, as root could, so the image is left as it is.
FROM python:3.12-slim
WORKDIR /opt
COPY app.py ./
CMD ["python", "app.py"]
