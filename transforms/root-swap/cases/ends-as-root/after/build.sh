#!/bin/sh
docker build -t er-base -f base/Dockerfile .
docker build -t er-app -f app/Dockerfile .
