#!/bin/sh
docker build -t web-base -f base/Dockerfile .
docker build -t web-app -f app/Dockerfile .
