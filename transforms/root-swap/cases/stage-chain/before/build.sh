#!/bin/sh
docker build -t sc-base -f base/Dockerfile .
docker build -t sc-app -f app/Dockerfile .
