FROM python:3.11-slim
RUN pip install --no-cache-dir $EXTRA flask==3.0.0
RUN pip install --no-cache-dir flask==3.0.0 $(cat extra.txt)
RUN pip install --no-cache-dir jax[cuda]==0.4.2 -f https://storage.googleapis.com/jax-releases/jax_cuda_releases.html
RUN pip $PIP_GLOBAL install requests==2.31.0
RUN python3 -m $PIP install six==1.16.0
