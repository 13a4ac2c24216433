#!/bin/sh
docker build -t nu-base -f base/Dockerfile .
docker build -t nu-app -f app/Dockerfile .
