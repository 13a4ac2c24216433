#!/bin/sh
docker build -t al-base -f base/Dockerfile .
docker build -t al-app -f app/Dockerfile .
