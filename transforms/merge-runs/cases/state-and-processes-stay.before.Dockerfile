FROM python:3.11-slim
RUN cd /srv
RUN touch a
RUN export X=1
RUN echo $X
RUN service postgresql start
RUN psql -c "select 1"
RUN mkdir /a &
RUN mkdir /b
RUN X=1
RUN mkdir /c
