FROM python:3.11-slim
RUN gradle build
RUN mvn package
RUN dotnet restore app.csproj
RUN dotnet build --disable-build-servers app.csproj
RUN python -c "import subprocess; subprocess.Popen(['sleep', '100'])"
RUN python -c "__import__('os').system('redis-server --daemonize yes')"
RUN python launch.py --exit
RUN python -m http.server
RUN R -e "system('Rserve &')"
RUN find . -name "*.sh" -exec ./start.sh {} \;
RUN sqlite3 app.db ".shell ./start.sh"
RUN uv run python manage.py check
RUN mkdir /done
