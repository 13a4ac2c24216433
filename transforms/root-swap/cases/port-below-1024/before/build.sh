#!/bin/sh
docker build -t pt-base -f base/Dockerfile .
docker build -t pt-app -f app/Dockerfile .
