FROM python:3.11-slim
RUN ( cd /srv ) && touch a && ( export X=1 ) && echo $X && service postgresql start
RUN psql -c "select 1"
RUN mkdir /a &
RUN mkdir /b && X=1
RUN mkdir /c
