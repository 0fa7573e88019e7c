# The product image: web (gunicorn), Celery worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=jianhua.settings.production \
    PIP_NO_CACHE_DIR=1

# django-leaflet loads GeoDjango's GDAL bindings at start-up, so the GDAL C library is needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgdal32 gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs a key to import settings; the real one comes from the environment at run time.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && SECRET_KEY=build-only python manage.py compilemessages --ignore=.venv

RUN useradd --create-home --uid 1000 jianhua && mkdir -p /app/media && chown jianhua /app/media
USER jianhua
EXPOSE 8000
CMD ["gunicorn", "jianhua.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
