FROM python:3.11-slim
RUN pip install a
RUN cd /src && pip install .
RUN pip install b; pip install c
RUN pip install d | tee /tmp/log
RUN pip install e || true
RUN (pip install f)
RUN pip install g > /tmp/log
RUN pip install h # pinned later
RUN pip install "$(cat /tmp/pkgs)"
RUN rm -rf /root/.cache && pip install i
RUN PIP_NO_CACHE_DIR=1 pip install j
RUN pip install k
