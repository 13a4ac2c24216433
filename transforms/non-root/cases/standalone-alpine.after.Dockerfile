FROM alpine:3.20
RUN apk add --no-cache python3
WORKDIR /opt/tool
RUN addgroup -g 1000 appuser \
    && adduser -D -u 1000 -G appuser appuser \
    && chown appuser:appuser /opt/tool
COPY --chown=appuser:appuser tool.py ./
USER appuser
ENTRYPOINT ["python3", "tool.py"]
