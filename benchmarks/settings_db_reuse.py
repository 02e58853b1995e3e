"""Settings for the experiment "Celery workers keep their database connection between tasks".

Celery 5.7's Django fixup closes every database connection after each task unless
CELERY_DB_REUSE_MAX is set (CONN_MAX_AGE is not honoured), so each dispatch task opens
a new PostgreSQL connection. This module is config.settings plus the proposed fix; the
benchmark app then also closes old connections around tasks as Django does around
requests (CONN_MAX_AGE, CONN_HEALTH_CHECKS). Used with BENCH_DJANGO_SETTINGS.
"""

from config.settings import *  # noqa: F403

CELERY_DB_REUSE_MAX = 1_000_000  # the fixup never force-closes; close_old_connections decides
BENCH_CLOSE_OLD_CONNECTIONS = True
