FROM centos:7
RUN yum install -y gcc \
    && rm -rf /var/cache/yum/*
RUN yum install -y make ; ls /var/cache/yum > /cached && yum clean all
