# DotMac Omni image: web (gunicorn sync workers), worker and beat run from the same image.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY assets ./assets
COPY templates ./templates
COPY portals ./portals
COPY omni ./omni
COPY crm ./crm
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=omni.settings
# GeoDjango loads GDAL, GEOS and PROJ with ctypes; libgdal32 brings all three.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libgdal32 postgresql-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /app/static/css ./static/css
COPY --from=assets /app/static/vendor ./static/vendor
# collectstatic needs settings but no database; a throwaway key and the console backends are fine at build time
# (production refuses to start without them chosen; the running container gets the real ones).
RUN DEBUG=false SECRET_KEY=build-only-not-secret-build-only-not-secret-build-only-0123456789 \
    EMAIL_URL=consolemail:// SMS_PROVIDER=console python manage.py collectstatic --noinput -v 0
RUN useradd --system --home /app omni && chown -R omni /app
USER omni
EXPOSE 8000
# gunicorn sync (WSGI) workers, each with its psycopg connection pool: omni/gunicorn_conf.py, the same
# command as the Procfile's. WEB_CONCURRENCY sets the processes (default: cores + 1).
ENV HOST=0.0.0.0 PORT=8000
CMD ["gunicorn", "-c", "omni/gunicorn_conf.py", "omni.wsgi:application"]
