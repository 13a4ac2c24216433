#!/bin/sh
docker build -t bs-base -f base/Dockerfile .
docker build -t bs-app -f app/Dockerfile .
