FROM a
RUN apt-get install \
# first
    curl \
    # indented comment
    git
