#!/bin/sh
docker build -t ur-base -f base/Dockerfile .
docker build -t ur-app -f app/Dockerfile .
