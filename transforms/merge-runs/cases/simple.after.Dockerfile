FROM python:3.11-slim
# the app's folders
RUN mkdir -p /srv/app/static \
    && chmod 755 /srv/app \
    # readable by all
    # its data
    && ln -s /srv/app/static /static
CMD ["python"]
