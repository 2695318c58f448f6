FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production VAR_DIR=/app/var
WORKDIR /app

RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 app

COPY pyproject.toml README.md ./
COPY repository repository
COPY accounts accounts
COPY records records
COPY communities communities
COPY curation curation
COPY oaipmh oaipmh
COPY storage storage
RUN pip install .
COPY . .
# collectstatic needs a syntactically complete production config; these values exist only at build time.
RUN SECRET_KEY=build SITE_URL=http://build.invalid DATABASE_URL=postgres://build@build.invalid/build \
    CELERY_BROKER_URL=redis://build.invalid:6379/0 python manage.py collectstatic --noinput -v0 \
 && SECRET_KEY=build SITE_URL=http://build.invalid DATABASE_URL=postgres://build@build.invalid/build \
    CELERY_BROKER_URL=redis://build.invalid:6379/0 python manage.py compile_catalogs -v0 \
 && mkdir -p /app/var && chown -R app /app/var
USER app
EXPOSE 8000
# deploy/gunicorn.conf.py: gthread workers, 60 s timeout; in compose nginx (deploy/nginx.conf) stands in front.
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
