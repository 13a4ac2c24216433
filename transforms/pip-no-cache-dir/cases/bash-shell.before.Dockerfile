FROM python:3.12-slim AS build
# Before any SHELL: /bin/sh reads it
RUN pip install --upgrade pip==24.0
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# bash with pipefail reads what sh reads: pipefail changes a pipeline's status only
RUN pip install requests==2.32.3 | tee /tmp/pip.log
FROM build
# the stage FROM build runs under its SHELL
RUN pip install six==1.16.0
# bash-only syntax: not read
RUN pip install {flask,gunicorn}
SHELL ["/bin/bash", "-u", "-c"]
# -u skips a command whose word reads an unset variable: not read when the script expands one
RUN pip install rich==13.7.1 $EXTRA
# and read as sh reads it when the script expands none
RUN pip install click==8.1.7
CMD ["python"]
