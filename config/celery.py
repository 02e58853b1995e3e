"""The Celery application: `celery -A config worker` and `celery -A config beat`."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tandem")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _close_old_connections(**_kwargs) -> None:
    """Per task, what Django does per request: drop a connection that is broken or older
    than CONN_MAX_AGE, keep the others (settings.CELERY_DB_REUSE_MAX stops Celery closing
    every connection after every task)."""
    from django.db import close_old_connections

    close_old_connections()


task_prerun.connect(_close_old_connections, dispatch_uid="tandem.close_old_connections.pre")
task_postrun.connect(_close_old_connections, dispatch_uid="tandem.close_old_connections.post")
