docker build -f docker/Dockerfile.base -t shop-base:latest .
docker build -f docker/api/Dockerfile -t shop-api .
docker build -f docker/cpu/Dockerfile -t shop-cpu .
