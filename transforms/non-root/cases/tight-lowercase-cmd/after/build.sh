#!/bin/sh
docker build -t tight-base -f base/Dockerfile .
docker build -t tight-app -f app/Dockerfile .
