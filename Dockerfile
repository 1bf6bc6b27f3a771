# syntax=docker/dockerfile:1
# Vivold's one image: the web process, the Celery worker and beat all run it.

# --- build: install the pinned dependencies into a virtualenv ---------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /build
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

# --- runtime: the virtualenv, the code, the collected static files ----------
FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=vivold.settings \
    MEDIA_ROOT=/app/var/media
RUN groupadd --system --gid 10001 vivold \
    && useradd --system --uid 10001 --gid vivold --no-create-home --home-dir /app --shell /usr/sbin/nologin vivold
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# The code stays owned by root: the application cannot rewrite itself.
COPY . .
# Static files are collected (hashed and compressed) into the image; the
# values below exist only for this step and are not kept in the image.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput \
    && rm -f /tmp/build.sqlite3 \
    && mkdir -p /app/var/media \
    && chown -R vivold:vivold /app/var
USER vivold:vivold
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["python", "-m", "vivold.healthcheck"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "vivold.wsgi"]
