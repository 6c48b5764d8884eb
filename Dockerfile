# syntax=docker/dockerfile:1
# Build stage: install the package and its dependencies into a virtual environment.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /venv
COPY pyproject.toml README.md requirements.lock ./
COPY app ./app
RUN /venv/bin/pip install -c requirements.lock .

# Runtime stage: the virtual environment, migrations, seed data and the start script; no build tools.
FROM python:3.11-slim
ENV PATH="/venv/bin:$PATH" PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    CEPLAN_SEED_DIR=/srv/ceplan/seed CEPLAN_DATABASE_URL=sqlite:////data/ceplan.db CEPLAN_AUTO_MIGRATE=false
RUN useradd --system --uid 10001 --home-dir /srv/ceplan ceplan && mkdir -p /data && chown ceplan /data
WORKDIR /srv/ceplan
COPY --from=build /venv /venv
COPY pyproject.toml ./
COPY migrations ./migrations
COPY seed ./seed
COPY scripts/start.sh ./start.sh
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["./start.sh"]
