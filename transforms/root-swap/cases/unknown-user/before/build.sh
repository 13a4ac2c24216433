#!/bin/sh
docker build -t uu-base -f base/Dockerfile .
docker build -t uu-app -f app/Dockerfile .
