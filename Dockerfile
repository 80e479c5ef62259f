# syntax=docker/dockerfile:1
# Coursehost's image (docs/DEPLOY.md). Multi-stage: the browser packages from npm, then the Python
# package with them inside, then a slim runtime that runs as a non-root user.
# NOTE: this image has not been built on the machine it was written on (no registry access there);
# tests/unit/test_deploy.py checks its structure, `docker build .` is the real check.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim

# 1. Vendor assets: `make npm-deps` (npm ci from package-lock.json, then the copies into static/vendor),
#    the same command a developer runs, so the list of copied files lives in one place (Makefile).
FROM ${NODE_IMAGE} AS assets
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json Makefile ./
RUN make npm-deps

# 2. The Python package and its dependencies in a virtual environment that the runtime stage copies.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/coursehost
WORKDIR /build
COPY pyproject.toml ./
COPY src ./src
COPY --from=assets /build/src/coursehost/static/vendor ./src/coursehost/static/vendor
RUN /opt/coursehost/bin/pip install . && /opt/coursehost/bin/python -c "import coursehost.app"

# 3. Runtime: no compiler, no npm, no source tree; a user of its own.
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 coursehost \
 && useradd --system --uid 10001 --gid coursehost --home-dir /var/lib/coursehost --shell /usr/sbin/nologin coursehost \
 && mkdir -p /var/lib/coursehost && chown coursehost:coursehost /var/lib/coursehost
COPY --from=build /opt/coursehost /opt/coursehost
ENV PATH=/opt/coursehost/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    COURSEHOST_DATA_DIR=/var/lib/coursehost \
    COURSEHOST_LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/coursehost
# 8000: the service origin (API, LRS, console); 8001: the content origin (player, course files).
EXPOSE 8000 8001
# /healthz: the process answers (no database call); /readyz is for the load balancer's routing.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["coursehost", "serve", "--host", "0.0.0.0"]
