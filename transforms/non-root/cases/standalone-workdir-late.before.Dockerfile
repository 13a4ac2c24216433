# The final WORKDIR is made after the first COPY that needs the user (the site): the user's
# RUN goes above that COPY and cannot hand the directory over, so the image is left as it is.
FROM python:3.12-slim AS build
RUN pip install --user --no-cache-dir flask==3.0.0

FROM python:3.12-slim
COPY --from=build /root/.local /root/.local
WORKDIR /app
COPY app.py ./
CMD ["python", "app.py"]
