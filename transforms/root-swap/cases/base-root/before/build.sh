#!/bin/sh
docker build -t br-base -f base/Dockerfile .
docker build -t br-app -f app/Dockerfile .
