FROM alpine:3.20
RUN apk add --no-cache python3
WORKDIR /opt/tool
COPY tool.py ./
ENTRYPOINT ["python3", "tool.py"]
