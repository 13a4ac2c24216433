#!/bin/sh
docker build -t ms-base -f base/Dockerfile .
docker build -t ms-app -f app/Dockerfile .
