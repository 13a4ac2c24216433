FROM a
HEALTHCHECK NONE
HEALTHCHECK --interval=30s --timeout=5s CMD curl -f http://localhost/ || exit 1
HEALTHCHECK CMD ["python", "-c", "import x"]
