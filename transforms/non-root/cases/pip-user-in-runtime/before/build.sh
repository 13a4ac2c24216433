#!/bin/sh
docker build -t pu-base -f base/Dockerfile .
docker build -t pu-app -f app/Dockerfile .
