FROM python:3.11-slim
RUN python -m pip install a
RUN python3 -m pip install b
RUN python3.11 -m pip install c && pip3.11 install d
RUN /opt/venv/bin/python -m pip uninstall -y e
