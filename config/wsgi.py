"""WSGI entry point for gunicorn: `gunicorn config.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Web requests run side by side on every core: no parallel workers per query (settings).
os.environ.setdefault("TANDEM_DB_PARALLEL_WORKERS", "0")

application = get_wsgi_application()
