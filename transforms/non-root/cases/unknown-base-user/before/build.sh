#!/bin/sh
docker build -t ub-base -f base/Dockerfile .
docker build -t ub-app -f app/Dockerfile .
