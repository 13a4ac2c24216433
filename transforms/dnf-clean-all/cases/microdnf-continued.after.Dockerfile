FROM registry.access.redhat.com/ubi9/ubi-minimal
RUN microdnf install -y --nodocs python3 \
    && microdnf upgrade -y && microdnf clean all
CMD ["python3"]
