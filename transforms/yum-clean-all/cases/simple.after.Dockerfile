FROM centos:7
RUN yum install -y httpd && echo done && yum clean all
CMD ["httpd", "-DFOREGROUND"]
