#!/bin/sh
docker build -t ep-base -f base/Dockerfile .
docker build -t ep-app -f app/Dockerfile .
