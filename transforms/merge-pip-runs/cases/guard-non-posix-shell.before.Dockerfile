FROM mcr.microsoft.com/powershell:lts-ubuntu-22.04
SHELL ["pwsh", "-Command"]
RUN pip install a
RUN pip install b
