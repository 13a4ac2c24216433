#!/bin/sh
docker build -t nr-base -f base/Dockerfile .
docker build -t nr-app -f app/Dockerfile .
