"""WSGI entry point for gunicorn: `gunicorn config.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Web requests run side by side on every core: no parallel workers per query (settings).
os.environ.setdefault("TANDEM_DB_PARALLEL_WORKERS", "0")
# Its queries are short: no JIT compilation, which costs more than a page query (settings).
os.environ.setdefault("TANDEM_DB_JIT", "off")

application = get_wsgi_application()
