# escape=`
FROM mcr.microsoft.com/windows
RUN dir c:\ `
    && echo done
COPY a\b c:\x\
