"""Real Celery workers and beat for the event-bus tests.

Each pytest-xdist worker gets its own Redis database as broker, so parallel test
processes never consume each other's tasks; the Celery processes started here point at
that broker and at this process's test database.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(settings.BASE_DIR)
_WORKER_ID = os.environ.get("PYTEST_XDIST_WORKER", "gw-main")
_DB_INDEX = 1 + (int(_WORKER_ID[2:]) if _WORKER_ID[2:].isdigit() else 14)

# Fast timings for the tests: short leases and backoff, a quick sweeper.
BUS_ENV = {
    "TANDEM_EVENT_LEASE_SECONDS": "5",
    "TANDEM_EVENT_RETRY_BASE_SECONDS": "0.2",
    "TANDEM_EVENT_RETRY_MAX_SECONDS": "1",
    "TANDEM_EVENT_MAX_ATTEMPTS": "3",
    "TANDEM_EVENT_SWEEP_SECONDS": "0.5",
}


def broker_url(base: str | None = None) -> str:
    parts = urlsplit(base or settings.REDIS_URL)
    return urlunsplit(parts._replace(path=f"/{_DB_INDEX}"))


def database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class CeleryProcess:
    """A `celery -A config worker|beat` subprocess that can be killed and restarted."""

    def __init__(self, kind: str, env: dict[str, str], log: Path):
        self.kind = kind
        self.env = env
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> "CeleryProcess":
        if self.kind == "worker":
            args = [
                "worker",
                "--concurrency=2",
                "--pool=prefork",
                f"-n{_WORKER_ID}-{time.monotonic_ns()}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "INFO",
            ]
        else:
            args = ["beat", "-l", "INFO", "--schedule", str(self.log.with_suffix(".schedule"))]
        log = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes its children too
        )
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown, no acknowledgements."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> None:
        self.kill()
        self.start()


def use_broker(url: str) -> None:
    """Point this process's Celery app at another broker URL."""
    celery_app.conf.broker_url = url
    # Drop any connection pool made for the old URL; the next send builds a new one.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture(scope="session")
def bus_broker():
    """This xdist worker's own Redis database (set in pytest_configure), emptied."""
    url = broker_url()
    redis.Redis.from_url(url).flushdb()
    use_broker(url)
    return url


@pytest.fixture
def celery_env(bus_broker, transactional_db) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(BUS_ENV)
    env.update(
        {
            "DATABASE_URL": database_url(),
            "REDIS_URL": bus_broker,
            "DJANGO_CONN_MAX_AGE": "0",
            "TANDEM_LOG_FORMAT": "plain",
        }
    )
    return env


@pytest.fixture
def start_celery(celery_env, tmp_path) -> Callable[..., CeleryProcess]:
    """start_celery("worker"|"beat", **env overrides): started now, stopped after the test."""
    started: list[CeleryProcess] = []

    def start(kind: str = "worker", **overrides: str) -> CeleryProcess:
        process = CeleryProcess(
            kind, {**celery_env, **overrides}, tmp_path / f"{kind}-{len(started)}.log"
        ).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def wait_until(predicate: Callable[[], bool], *, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what or predicate}")
