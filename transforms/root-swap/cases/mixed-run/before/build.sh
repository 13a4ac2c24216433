#!/bin/sh
docker build -t mx-base -f base/Dockerfile .
docker build -t mx-app -f app/Dockerfile .
