# syntax=docker/dockerfile:1
FROM acme/base:2.0
RUN pip install six==1.16.0
COPY bin/entrypoint.sh /usr/local/bin/entrypoint.sh
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
CMD ["python", "-m", "service.worker"]
