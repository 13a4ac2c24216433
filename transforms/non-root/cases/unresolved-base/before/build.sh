#!/bin/sh
docker build -t sh-local -f sentry/Dockerfile --build-arg SENTRY_IMAGE="$SENTRY_IMAGE" sentry
docker build -t sh-cron -f cron/Dockerfile cron
