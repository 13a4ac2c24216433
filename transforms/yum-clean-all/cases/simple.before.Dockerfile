FROM centos:7
RUN yum install -y httpd && echo done
CMD ["httpd", "-DFOREGROUND"]
