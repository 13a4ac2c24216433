#!/bin/sh
docker build -t edge-base -f base/Dockerfile .
docker build -t edge-app -f app/Dockerfile .
