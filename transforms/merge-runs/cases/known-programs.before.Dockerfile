FROM python:3.11-slim
# the php image's helpers
RUN docker-php-ext-enable opcache
RUN docker-php-ext-enable sodium
RUN pecl install redis
RUN R -e "install.packages(c('Rcpp', 'BH'), repos='https://cloud.r-project.org')"
RUN R CMD INSTALL stringi_1.2.4.tar.gz
RUN python -c "import pyarrow; print(pyarrow.__version__)"
RUN python3.12 /tmp/get-pip.py
RUN python -m spacy download en
RUN python -m venv /opt/venv
RUN gcc -static nnp-test.c -o /usr/bin/nnp-test
RUN javac examples/*.java
RUN diff /tmp/expected /tmp/actual
RUN grep -F VERSION flags.make
RUN find ./protos -name "*.proto" -exec protoc --go_out=go/protos {} \;
RUN sqlite3 --version
RUN mix deps.get --only prod
RUN nix build .
RUN rustup default 1.75.0
RUN uv sync --frozen
RUN flake8 .
RUN black --check .
RUN mkdir /done
