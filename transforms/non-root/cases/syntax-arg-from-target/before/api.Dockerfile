FROM core:dev
CMD ["python", "-m", "src.api"]
