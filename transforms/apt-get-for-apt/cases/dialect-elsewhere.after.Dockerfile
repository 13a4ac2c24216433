FROM example.com/base:1
# A word bash brace-expands and sh does not, after the install: whichever shell runs it, it runs
# the same in both images, from the state apt and apt-get leave alike
RUN apt-get update && apt-get -o APT::Keep-Downloaded-Packages=false install -y curl && rm -rf /var/lib/{apt,dpkg,cache,log}/
# A later clean is not relied on there: which commands run is not known
RUN apt-get -o APT::Keep-Downloaded-Packages=false install -y wget && rm -rf /tmp/{a,b} && apt-get clean
# In the apt command itself: not rewritten
RUN apt install -y {curl,wget}
