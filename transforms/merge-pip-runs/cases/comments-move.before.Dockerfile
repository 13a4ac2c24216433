FROM python:3.11-slim

# first: a
RUN pip install a
# a trailing remark about a

# second: b
# (two lines)
RUN pip install b

RUN pip install c
# the end

CMD ["python"]
