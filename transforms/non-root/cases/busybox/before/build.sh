#!/bin/sh
docker build -t bb-base -f base/Dockerfile .
docker build -t bb-app -f app/Dockerfile .
