"""API WSGI 엔트리포인트.

gunicorn apps.api.wsgi:application --bind 0.0.0.0:8000
"""

import json

from libs.queue import constants


def _queue_config() -> dict:
    return {
        "lease_seconds": constants.SQS_LEASE_SECONDS,
        "visibility_timeout": constants.SQS_VISIBILITY_TIMEOUT,
        "inference_max_seconds": constants.INFERENCE_MAX_SECONDS,
    }


ROUTES = {
    "/health/": lambda: {"status": "ok"},
    "/api/v1/queue-config/": _queue_config,
}


def application(environ, start_response):
    path = environ.get("PATH_INFO") or "/"
    if not path.endswith("/"):
        path += "/"
    route = ROUTES.get(path)
    if route is None:
        status, body = "404 Not Found", {"detail": "Not found."}
    else:
        status, body = "200 OK", route()
    data = json.dumps(body).encode("utf-8")
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]
