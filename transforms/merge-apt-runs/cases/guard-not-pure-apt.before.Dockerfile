FROM debian:12
RUN apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y b && curl -fsSL https://example.org/key | apt-key add -
RUN apt-get update && apt-get upgrade -y && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y c- d && rm -rf /var/lib/apt/lists/*
RUN apt-get install -y e && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y f && rm -rf /var/lib/apt/lists/* /tmp/*
RUN apt-get update && apt-get install -y g > /dev/null && rm -rf /var/lib/apt/lists/*
RUN apt update && apt install -y h && rm -rf /var/lib/apt/lists/*
RUN ["apt-get", "install", "-y", "i"]
RUN apt-get update && apt-get install -y j && rm -rf /var/lib/apt/lists/*
