ARG BASE_IMAGE=corp-base:2
FROM ${BASE_IMAGE}
CMD ["python", "app.py", "--child"]
