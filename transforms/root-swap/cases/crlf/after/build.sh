#!/bin/sh
docker build -t cr-base -f base/Dockerfile .
docker build -t cr-app -f app/Dockerfile .
