#!/bin/sh
docker build -t px-base -f base/Dockerfile .
docker build -t px-app -f app/Dockerfile .
