FROM a
# café au lait
LABEL desc="naïve"
RUN echo ÿ
