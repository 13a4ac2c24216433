# A single image on an official base whose user is known (root): the common case. It gets
# the user, its app files via --chown, and USER after its last RUN and COPY.
FROM python:3.12-slim
WORKDIR /app
COPY . .
CMD ["python", "main.py"]
