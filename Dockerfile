# The one image of the pod: the custom-metrics-fcgi server and nginx, each
# container of the Deployment (k8s/) runs one of them.  Debian packages only.
#
#   make image                      (podman or docker; IMAGE=... names it)
#   podman build -t custom-metrics-fcgi:0.1.0 .
#
# BASE is any Debian 12 (bookworm) root filesystem.  Where no registry can be
# reached, make one from the Debian mirror apt uses (t/deploy.sh does this):
#   debootstrap --variant=minbase bookworm DIR && tar -C DIR -c . | podman import - NAME
#   podman build --build-arg BASE=NAME --network host .
ARG BASE=docker.io/library/debian:bookworm-slim

# ---- build: the same steps as on a developer's machine (./bootstrap)
FROM ${BASE} AS build
WORKDIR /src
# Packages first, in a layer of their own: it is rebuilt only when bootstrap
# changes, not at every source edit.
COPY bootstrap ./
RUN ./bootstrap deps && rm -rf /var/lib/apt/lists/*
COPY . ./
RUN ./bootstrap && strip -o /custom-metrics-fcgi custom-metrics-fcgi

# ---- runtime: the binary, nginx, their libraries, and nothing that builds
FROM ${BASE}
# libfcgi, libyaml and json-c are linked; libcurl is loaded at run time by the
# watch cache and Prometheus sources; ca-certificates for https Prometheus.
# policy-rc.d: nothing is started while the packages install.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && \
    apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        nginx libfcgi0ldbl libyaml-0-2 libjson-c5 libcurl4 ca-certificates >/dev/null && \
    apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
        /usr/share/doc /usr/share/man /usr/share/info /usr/sbin/policy-rc.d && \
    groupadd --system --gid 10001 custom-metrics && \
    useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin custom-metrics
COPY --from=build /custom-metrics-fcgi /usr/bin/custom-metrics-fcgi
# A fixed UID and GID (the Deployment's runAsUser/runAsGroup/fsGroup), no
# capabilities needed: nginx listens above 1024 and neither process changes
# user.  Everything either writes goes to the pod's emptyDirs.
USER 10001:10001
WORKDIR /
CMD ["custom-metrics-fcgi", "--help"]
