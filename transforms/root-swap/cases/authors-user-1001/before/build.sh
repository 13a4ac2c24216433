#!/bin/sh
docker build -t fo-base -f base/Dockerfile .
docker build -t fo-ui -f ui/Dockerfile .
