FROM acme/core:1.0 AS prod
CMD ["python", "-m", "service.worker"]

FROM prod AS debug
RUN pip install debugpy==1.8.5
