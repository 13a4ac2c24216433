#!/bin/sh
docker build -t sh-sentry -f base/Dockerfile .
docker build -t sh-cron -f cron/Dockerfile cron
