docker build -f docker/Dockerfile -t app .
