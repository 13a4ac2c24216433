FROM a
ONBUILD COPY . /app
ONBUILD RUN ["make"]
onbuild run echo lower
