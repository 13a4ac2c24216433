#!/bin/sh
docker build -t aw-base -f base/Dockerfile .
docker build -t aw-app -f app/Dockerfile .
