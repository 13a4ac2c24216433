#!/bin/sh
docker build -t dl-base -f base/Dockerfile .
docker build -t dl-app -f app/Dockerfile .
