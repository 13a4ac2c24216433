#!/bin/sh
docker build -t pg-base -f base/Dockerfile .
docker build -t pg-app -f app/Dockerfile .
docker build -t pg-app2 -f app2/Dockerfile .
