# Production image of Qaryz (docs/deploy.md). Two stages: the build stage compiles wheels into a
# virtual environment; the runtime stage copies only that environment and the code, and runs as an
# unprivileged user. The same image runs the web tier (gunicorn), the Celery worker and beat, and
# the one-shot migration job – the compose file (deploy/compose.yaml) picks the command.

# ---- build ----------------------------------------------------------------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
WORKDIR /src
# Runtime dependencies only (no test or lint tools), every file hash-checked; the versions are
# those of requirements/lock.txt (tests/test_deploy.py checks that they agree).
COPY deploy/requirements-runtime.txt requirements/nodeps.txt /src/requirements/
RUN /opt/venv/bin/pip install --require-hashes -r requirements/requirements-runtime.txt \
 && /opt/venv/bin/pip install --no-deps --require-hashes -r requirements/nodeps.txt
COPY pyproject.toml README.md manage.py /src/
COPY qaryz /src/qaryz
COPY deploy/gunicorn.conf.py /src/deploy/gunicorn.conf.py
# Translations and static files are built into the image (no write access needed at run time).
# The secret key here is a throw-away for the build only: the running container reads its own.
RUN cd /src \
 && DJANGO_SECRET_KEY=build-only QARYZ_DATA_DIR=/build-data QARYZ_KEY_DIR=/tmp/build-keys \
    /opt/venv/bin/python manage.py compile_translations \
 && DJANGO_SECRET_KEY=build-only QARYZ_DATA_DIR=/build-data QARYZ_KEY_DIR=/tmp/build-keys \
    /opt/venv/bin/python manage.py collectstatic --noinput --verbosity 0 \
 && rm -rf /tmp/build-keys

# ---- runtime --------------------------------------------------------------------------------
FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=qaryz.settings QARYZ_DATA_DIR=/var/lib/qaryz QARYZ_KEY_DIR=/run/qaryz-keys \
    QARYZ_BIND=0.0.0.0:8000 QARYZ_LOG_JSON=1
# fonts-dejavu-core: PDFs with Cyrillic/Kazakh; postgresql-client: manage.py backup/restore;
# tesseract-ocr: MRZ reading; tzdata: Asia/Almaty.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core postgresql-client tesseract-ocr tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 qaryz \
 && useradd --system --uid 10001 --gid qaryz --home-dir /app --shell /usr/sbin/nologin qaryz \
 && mkdir -p /var/lib/qaryz /run/qaryz-keys \
 && chown qaryz:qaryz /var/lib/qaryz /run/qaryz-keys
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /src /app
COPY --from=build --chown=qaryz:qaryz /build-data/static /var/lib/qaryz/static
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4).status != 200)"]
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "qaryz.wsgi"]
