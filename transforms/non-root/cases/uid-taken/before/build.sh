#!/bin/sh
docker build -t nd-base -f base/Dockerfile .
docker build -t nd-app -f app/Dockerfile .
