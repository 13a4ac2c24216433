#!/bin/sh
docker build -t ue-base -f base/Dockerfile .
docker build -t ue-app -f app/Dockerfile .
