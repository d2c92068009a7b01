# Builds ctrecord and ctquery on Debian 12. Recording needs the host's conntrack:
#   docker run --rm --cap-add NET_ADMIN --network host -v /var/lib/ctrecord:/data IMAGE \
#       ctrecord --db /data/flows.db
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential pkg-config libnetfilter-conntrack-dev libmnl-dev \
        libsqlite3-dev libxml2-dev zlib1g-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make clean && make build/ctrecord build/ctquery && \
    make install PREFIX=/usr DESTDIR=/out

# (SQLite and zlib are linked in: see STATIC in the Makefile; libxml2 brings zlib1g)
FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends \
        libnetfilter-conntrack3 libmnl0 libxml2 && \
    rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /
WORKDIR /data
CMD ["ctrecord", "--db", "/data/flows.db"]
