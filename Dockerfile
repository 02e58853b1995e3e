# Tandem's one image: gunicorn by default; docker-compose.yml also runs the Celery worker,
# beat and the one-shot migration from it.
FROM python:3.11-slim

# DJANGO_STATIC_MANIFEST: the static files collected below carry a manifest, so the
# settings must use it. WEB_CONCURRENCY: gunicorn's worker processes, each with the
# threads set in CMD; override it per host (about 2 x CPU cores).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_STATIC_MANIFEST=true \
    WEB_CONCURRENCY=3

WORKDIR /app

# Dependencies first, in their own layer: code changes do not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
# Editable, so the code that runs is /app itself, next to its templates/ and static/
# (config/settings.py finds them relative to its own file).
RUN pip install --no-deps -e . \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-only-not-a-real-key \
       python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/tandem tandem \
    && mkdir -p /app/var/media \
    && chown -R tandem:tandem /app/var

USER tandem
EXPOSE 8000

# The Host header must be one of DJANGO_ALLOWED_HOSTS, and X-Forwarded-Proto keeps an
# enabled DJANGO_SECURE_SSL_REDIRECT from answering the check with a redirect.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = (os.environ.get('DJANGO_ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=4)"]

CMD ["gunicorn", "config.wsgi", \
     "--bind", "0.0.0.0:8000", \
     "--worker-class", "gthread", "--threads", "4", \
     "--timeout", "60", "--graceful-timeout", "30", \
     "--max-requests", "2000", "--max-requests-jitter", "200", \
     "--access-logfile", "-", "--error-logfile", "-"]
