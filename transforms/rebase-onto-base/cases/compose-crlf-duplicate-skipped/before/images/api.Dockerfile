FROM acme/core:1.0
CMD ["python", "-m", "service.api"]
