#!/bin/sh
docker build -t sp-base -f base/Dockerfile .
docker build -t sp-app -f app/Dockerfile .
docker build -t sp-tools -f tools/Dockerfile .
