# syntax=docker/dockerfile:1
# The tracker as one image: `tracker serve` by default, `tracker migrate` and `tracker projector`
# by overriding the command (see docker-compose.yml). Configuration: TRACKER_* variables only.

# Stage 1: build a virtualenv with the tracker and its dependencies (binary wheels only).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# The pinned, hashed serving dependencies (`make lock` writes them; no test tool among them),
# each as a binary wheel (this stage has no compiler either); then the tracker itself.
COPY requirements/serve.txt ./requirements/serve.txt
RUN pip install --require-hashes -r requirements/serve.txt
COPY pyproject.toml README.md ./
COPY tracker ./tracker
COPY api ./api
# pip itself is removed so that the runtime has no installer.
RUN pip install --no-deps . \
    && pip uninstall --yes pip setuptools
# tracker.eventstore.migrate looks for the alembic scripts next to the installed `tracker` package.
COPY alembic.ini /opt/venv/lib/python3.11/site-packages/alembic.ini
COPY migrations /opt/venv/lib/python3.11/site-packages/migrations

# Stage 2: the runtime, with the virtualenv and nothing to build with.
FROM python:3.11-slim AS runtime
RUN groupadd --system --gid 10001 tracker \
    && useradd --system --uid 10001 --gid tracker --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin tracker \
    && mkdir -p /app/var \
    && chown -R tracker:tracker /app
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TRACKER_HOST=0.0.0.0 \
    TRACKER_PORT=8000 \
    TRACKER_LOG_FORMAT=json
WORKDIR /app
USER tracker:tracker
EXPOSE 8000
# Liveness only; readiness (database migrated and reachable) is GET /ready.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
# uvicorn stops gracefully on SIGTERM: requests in flight finish, the read model closes.
STOPSIGNAL SIGTERM
CMD ["tracker", "serve", "--host", "0.0.0.0"]
