# Vivold's one image: the web process, the Celery worker and beat all run it.
# PYTHON_IMAGE is the base (python:3.11-slim, or any image with `python` 3.11 and
# venv); the stack test builds on a local Debian one (deploy/images/).
ARG PYTHON_IMAGE=python:3.11-slim

# --- build: install the pinned dependencies into a virtualenv ---------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# pip's own variables: PIP_NO_INDEX=1 with PIP_FIND_LINKS=/build/wheels installs
# from wheels downloaded beforehand into deploy/wheels/ (what the stack test does
# on a machine whose containers cannot reach the package index); unset, pip uses
# the index as usual.
ARG PIP_NO_INDEX
ARG PIP_FIND_LINKS
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /build
COPY requirements.txt constraints.txt ./
COPY deploy/wheels/ wheels/
RUN pip install -r requirements.txt -c constraints.txt

# --- source: the code without the wheels -------------------------------------
FROM ${PYTHON_IMAGE} AS source
COPY . /src
RUN rm -rf /src/deploy/wheels

# --- runtime: the virtualenv, the code, the collected static files ----------
FROM ${PYTHON_IMAGE} AS runtime
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
COPY --from=source /src /app
# Static files are collected (hashed and compressed) into the image; the
# values below exist only for this step and are not kept in the image.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput \
    && rm -f /tmp/build.sqlite3 \
    && mkdir -p /app/var/media \
    && chown -R vivold:vivold /app/var
USER vivold:vivold
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["python", "-m", "core.healthcheck"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "vivold.wsgi"]
