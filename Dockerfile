# syntax=docker/dockerfile:1
# db-access-bot: the Slack bot image. Build: docker build -t db-access-bot .
# The same image runs the service (`run`, the default) and the migration Job (`migrate`).

# ---- Stage 1: wheels of the project and every dependency -------------------------------------
# Same base as the final stage, so compiled wheels match its Python and libc exactly.
FROM python:3.11.13-slim-bookworm AS build

# A C toolchain for any dependency that has no binary wheel for this platform. It lives only in
# this stage; the final image never sees it.
# DL3008 (pin apt versions) ignored: Debian drops old versions from the mirror, so pins break the
# build, and this stage is thrown away.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# .dockerignore is an allowlist: only pyproject.toml, README.md and the Python packages arrive.
COPY . .
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# ---- Stage 2: runtime, wheels only -----------------------------------------------------------
FROM python:3.11.13-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HEALTH_PORT=8080 \
    DB_ACCESS_CATALOG=/etc/db-access-bot/catalog.yaml

# A fixed numeric uid/gid so Kubernetes can check runAsNonRoot and the chart can name 10001.
RUN groupadd --gid 10001 dbaccess \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin dbaccess

# The wheels are bind-mounted from the build stage, not copied, so they add no layer here.
# DL3013 (pin pip versions) ignored: --no-index installs only the wheels stage 1 built from this
# very source tree, so the versions are already fixed; nothing is downloaded.
# hadolint ignore=DL3013
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels db-access-bot

# Amazon's CA bundle, so admin connections to RDS verify the server (RDS_CA_BUNDLE).
ADD --chmod=0644 https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem \
    /etc/ssl/rds/global-bundle.pem
ENV RDS_CA_BUNDLE=/etc/ssl/rds/global-bundle.pem

WORKDIR /app
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["db-access-bot"]
CMD ["run"]
