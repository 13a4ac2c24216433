FROM a
CMD ["python", "-m", "app"]
ENTRYPOINT ["tini", "--"]
CMD python -m app
SHELL ["/bin/bash", "-c"]
CMD [ "a" , "b" ]
CMD ["unterminated"
CMD []
