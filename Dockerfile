# syntax=docker/dockerfile:1
# db-access-bot: the Slack bot image. Build: docker build -t db-access-bot .
# The same image runs the service (`run`, the default) and the migration Job (`migrate`).
# Every dependency is installed at the version and sha256 requirements.lock pins (regenerate it
# with scripts/lock). The base image is pinned by tag; pin its digest at build time with
#   docker build --build-arg PYTHON_IMAGE=python:3.11.13-slim-bookworm@sha256:<digest> .
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

# ---- Stage 1: a virtualenv with the locked dependencies and the project ----------------------
# Same base as the final stage, so the venv's Python and libc match it exactly.
FROM ${PYTHON_IMAGE} AS build

# A C toolchain for any dependency that has no binary wheel for this platform. It lives only in
# this stage; the final image never sees it.
# DL3008 (pin apt versions) ignored: Debian drops old versions from the mirror, so pins break the
# build, and this stage is thrown away.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# The lock alone first, so this layer is rebuilt only when the dependencies change. Each file pip
# downloads must match one of the lock's hashes, or the build fails.
COPY requirements.lock ./
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
# .dockerignore is an allowlist: only pyproject.toml, README.md, the lock and the Python packages
# arrive. The project's own build uses the locked setuptools and wheel, nothing downloaded.
COPY . .
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps --no-build-isolation .

# ---- Stage 2: runtime, the venv only ----------------------------------------------------------
FROM ${PYTHON_IMAGE}

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    HEALTH_PORT=8080 \
    DB_ACCESS_CATALOG=/etc/db-access-bot/catalog.yaml

# A fixed numeric uid/gid so Kubernetes can check runAsNonRoot and the chart can name 10001.
RUN groupadd --gid 10001 dbaccess \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin dbaccess

COPY --from=build /opt/venv /opt/venv

# Amazon's CA bundle, so admin connections to RDS verify the server (RDS_CA_BUNDLE).
ADD --chmod=0644 https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem \
    /etc/ssl/rds/global-bundle.pem
ENV RDS_CA_BUNDLE=/etc/ssl/rds/global-bundle.pem

WORKDIR /app
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["db-access-bot"]
CMD ["run"]
