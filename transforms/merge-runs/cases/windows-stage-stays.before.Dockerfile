FROM mcr.microsoft.com/dotnet/framework/sdk:4.8-windowsservercore-ltsc2019 AS builder
WORKDIR /temp
RUN nuget restore
RUN msbuild /p:DeployOnBuild=true /p:publishUrl=c:\output

FROM python:3.11-slim
RUN mkdir /srv/a
RUN mkdir /srv/b
