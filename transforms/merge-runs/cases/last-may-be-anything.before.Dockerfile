FROM python:3.11-slim
COPY db_deps.sh gradlew ./
RUN chmod +x db_deps.sh
RUN ./db_deps.sh
RUN pip install --no-cache-dir flask
RUN chmod +x gradlew
RUN ./gradlew installDist
RUN ./gradlew test
RUN python -m pip install --no-cache-dir -U pip
RUN export USE_CUDA=1
