"""`manage.py check_services`: say whether PostgreSQL and Redis answer, and how to start them."""

import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": (
        'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no'
    ),
}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Check that the PostgreSQL and Redis the settings point at are reachable."

    def handle(self, *args, **options):
        checks = []
        db = settings.DATABASES["default"]
        if db["ENGINE"].endswith("sqlite3"):
            self.stdout.write("Database: SQLite (embedded mode), nothing to check.")
        else:
            checks.append(
                ("PostgreSQL", db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432))
            )
        if settings.REDIS_URL:
            url = urlsplit(settings.REDIS_URL)
            checks.append(("Redis", url.hostname or "127.0.0.1", url.port or 6379))
        down = []
        for name, host, port in checks:
            if _reachable(host, port):
                self.stdout.write(f"{name} at {host}:{port}: up")
            else:
                down.append(name)
                self.stderr.write(
                    f"{name} at {host}:{port} is not reachable. Start it, e.g.:\n"
                    f"    {HOW_TO_START[name]}\n"
                    f"or point {'DATABASE_URL' if name == 'PostgreSQL' else 'REDIS_URL'} "
                    "at a running one."
                )
        if down:
            raise CommandError(f"Not reachable: {', '.join(down)}.")
