#!/bin/sh
docker build -t hd-base -f base/Dockerfile .
docker build -t hd-app -f app/Dockerfile .
