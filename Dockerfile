# The image the helm chart runs: nginx, spawn-fcgi + multiwatch, bpg-fcgi, bpg-monitor.
# docker build -t bpg:0.1.0 .
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential pkg-config \
      libfcgi-dev libcurl4-openssl-dev libcjson-dev libiniparser-dev libssl-dev \
      default-libmysqlclient-dev libyaml-dev git ca-certificates python3 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make clean && make -j"$(nproc)" all && make install PREFIX=/usr/local DESTDIR=/out

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends nginx-light spawn-fcgi multiwatch \
      libfcgi0ldbl libcurl4 libcjson1 libiniparser1 libssl3 libmariadb3 libyaml-0-2 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd -g 10001 bpg && useradd -u 10001 -g bpg -d /nonexistent -s /usr/sbin/nologin bpg
COPY --from=build /out/usr/local /usr/local
USER 10001:10001
EXPOSE 8080
# glibc's per-thread cache of freed chunks, 7 per size by default: a worker frees ~1000 small
# ones per list page; keeping them cuts its instructions per request by a sixth (README Performance)
ENV GLIBC_TUNABLES=glibc.malloc.tcache_count=256
# the chart's pod runs nginx and the FastCGI pool as two containers of this image, both as
# bpg (10001): the socket is that user's and group's only, no other local user speaks FastCGI
CMD ["spawn-fcgi", "-n", "-s", "/run/bpg/bpg.sock", "-M", "0660", "--", "/usr/bin/multiwatch", "-f", "4", \
     "-s", "TERM", "-r", "100", "-t", "1000", "--", "/usr/local/bin/bpg-fcgi", "--config", "/etc/bpg/bpg.ini"]
