FROM debian:bookworm-slim
# a child shell running a literal script of known commands
RUN sh -c 'echo root:testpass \
        > /tmp/passwd'
RUN sh -ec 'cd /tmp && mkdir -p build'
RUN mkdir -p /test /test2 /test3/test
# ... not one that leaves a job running, nor bash (it may source $BASH_ENV)
RUN sh -c 'tail -f /dev/null &'
RUN bash -c 'echo ready'
RUN mkdir /done
