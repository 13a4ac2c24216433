#!/bin/sh
docker build -t ve-base -f base/Dockerfile .
docker build -t ve-app -f app/Dockerfile .
