FROM python:3.11-slim

# first: a
# a trailing remark about a
# second: b
# (two lines)
RUN pip install a && pip install b && pip install c
# the end

CMD ["python"]
