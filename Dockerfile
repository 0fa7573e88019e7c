# The product image: web (gunicorn), Celery worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=jianhua.settings.production \
    PIP_NO_CACHE_DIR=1

# django-leaflet loads GeoDjango's GDAL bindings at start-up, so the GDAL C library is needed;
# `manage.py backup` and `restore` run pg_dump and pg_restore (Debian 12's client is 15, as the server).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgdal32 gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs a key to import settings; the real one comes from the environment at run time.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && SECRET_KEY=build-only python manage.py compilemessages --ignore=.venv

RUN useradd --create-home --uid 1000 jianhua && mkdir -p /app/media /app/var/backups \
    && chown -R jianhua /app/media /app/var
USER jianhua
EXPOSE 8000
# No gunicorn access log: the app logs one JSON line per request with its request id (jianhua.logs).
CMD ["gunicorn", "jianhua.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
