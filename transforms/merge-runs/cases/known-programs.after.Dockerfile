FROM python:3.11-slim
# the php image's helpers
RUN docker-php-ext-enable opcache \
    && docker-php-ext-enable sodium \
    && pecl install redis \
    && R -e "install.packages(c('Rcpp', 'BH'), repos='https://cloud.r-project.org')" \
    && R CMD INSTALL stringi_1.2.4.tar.gz \
    && python -c "import pyarrow; print(pyarrow.__version__)" \
    && python3.12 /tmp/get-pip.py \
    && python -m spacy download en \
    && python -m venv /opt/venv \
    && gcc -static nnp-test.c -o /usr/bin/nnp-test \
    && javac examples/*.java \
    && diff /tmp/expected /tmp/actual \
    && grep -F VERSION flags.make \
    && find ./protos -name "*.proto" -exec protoc --go_out=go/protos {} \; \
    && sqlite3 --version \
    && mix deps.get --only prod \
    && nix build . \
    && rustup default 1.75.0 \
    && uv sync --frozen \
    && flake8 . \
    && black --check . \
    && mkdir /done
