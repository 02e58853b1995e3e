"""What every benchmark shares: its own database and Redis index, Django set-up, processes.

A benchmark never touches the development (`tandem`) or test (`test_*`) databases, nor
Redis databases 0-3: it refuses to start if pointed at them.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "var" / "benchmarks"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tandem_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")


def _check_targets() -> None:
    db = urlsplit(DATABASE_URL)
    name = db.path.lstrip("/")
    if name == "tandem" or name.startswith("test") or db.hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"Refusing to benchmark against {DATABASE_URL}: use a loopback *_bench database.")
    redis = urlsplit(REDIS_URL)
    index = int(redis.path.lstrip("/") or 0)
    if index < 4 or redis.hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"Refusing to use {REDIS_URL}: Redis databases 0-3 belong to dev and tests.")


_check_targets()


_lock_file = None


def exclusive() -> None:
    """Hold the benchmarks' lock until this process exits: one benchmark at a time.

    Two runs would share the database and the Redis queue (and the CPUs).
    """
    global _lock_file
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    _lock_file = (LOG_DIR / ".lock").open("w")
    try:
        fcntl.flock(_lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit("Another benchmark is running (var/benchmarks/.lock): run one at a time.")


def bench_env(**overrides: str) -> dict[str, str]:
    """The environment of the benchmark's Django, Celery and gunicorn processes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "TANDEM_EXTRA_APPS": "benchmarks.benchapp",
            "DJANGO_SETTINGS_MODULE": os.environ.get("BENCH_DJANGO_SETTINGS", "config.settings"),
            "DJANGO_SECRET_KEY": "benchmark-only-secret-key-not-used-anywhere-else-0123456789",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "TANDEM_LOG_FORMAT": "json",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(overrides)
    return env


def setup_django(**overrides: str) -> None:
    """Configure this process like the benchmark's servers, then django.setup()."""
    os.environ.update(bench_env(**overrides))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_database() -> None:
    """Take the benchmarks' lock, create the database if needed and migrate it (quietly)."""
    exclusive()
    import psycopg2

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, dbname="postgres"
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=bench_env(),
        check=True,
    )


def reset_bus() -> None:
    """Empty the event log, deliveries and benchmark tables, and the benchmark's Redis db."""
    import redis
    from django.db import connection

    from benchmarks.benchapp.models import Item, Visible
    from integration.models import Delivery, Event

    tables = ", ".join(m._meta.db_table for m in (Delivery, Event, Item, Visible))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    redis.Redis.from_url(REDIS_URL).flushdb()


def redis_queue_length(queue: str = "tandem.dispatch") -> int:
    import redis

    return redis.Redis.from_url(REDIS_URL).llen(queue)


# ---------------------------------------------------------------- processes

_children: list[Service] = []


class Service:
    """A subprocess in its own process group (so its children go with it), logged to a file."""

    def __init__(self, name: str, args: Sequence[str], env: dict[str, str]):
        self.name = name
        self.args = list(args)
        self.env = env
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log = LOG_DIR / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Service:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _children.append(self)
        return self

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_log(self, text: str, *, timeout: float = 60) -> None:
        wait_until(lambda: text in self.log_text(), timeout=timeout, what=f"{self.name}: {text!r}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM to the main process (a warm shutdown), then the whole group if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # any child left behind


def celery_worker(name: str = "worker", *, concurrency: int = 2, **env: str) -> Service:
    """`celery -A config worker --concurrency=N` (prefork), as deployed."""
    return Service(
        name,
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            f"-n{name}-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ],
        bench_env(**env),
    )


def gunicorn(port: int, *, workers: int = 2, **env: str) -> Service:
    return Service(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--access-logfile=-",
        ],
        bench_env(**env),
    )


def _stop_children() -> None:
    for child in reversed(_children):
        child.stop()


def _on_signal(signum, _frame) -> None:
    _stop_children()
    sys.exit(128 + signum)


atexit.register(_stop_children)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str, every=0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise TimeoutError(f"Timed out after {timeout}s waiting for {what}")


# ---------------------------------------------------------------- figures


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def cpu_busy(seconds: float = 2.0) -> float:
    """The fraction of all CPUs busy over the next `seconds` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(total1 - total0, 1)


def wait_for_quiet(*, threshold: float = 0.15, patience: float = 600) -> str:
    """Wait (up to `patience` s) until other work leaves the CPUs idle; describe the wait.

    The machine is shared: another test run during a benchmark halves its figures.
    """
    deadline = time.monotonic() + patience
    while True:
        busy = cpu_busy()
        if busy < threshold:
            return f"CPUs {busy:.0%} busy before the start"
        if time.monotonic() > deadline:
            return f"WARNING: CPUs still {busy:.0%} busy with other work at the start"
        print(f"  waiting for a quiet machine (CPUs {busy:.0%} busy)...", flush=True)
        time.sleep(10)


class Neighbours:
    """Watches for other people's heavy processes (test runs, workers) while measuring.

    The machine is shared; a figure taken while someone's test suite ran is marked.
    """

    HEAVY = ("pytest", "celery", "gunicorn", "runserver", "chromium", "playwright")

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> Neighbours:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _ours(self) -> set[int]:
        sessions = {os.getsid(0)}
        sessions.update(c.proc.pid for c in _children if c.proc is not None)
        return sessions

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            ours = self._ours()
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as f:
                        cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
                    sid = os.getsid(int(entry))
                except (OSError, ProcessLookupError):
                    continue
                if sid not in ours and any(word in cmdline for word in self.HEAVY):
                    self.seen.add(cmdline.strip()[:80])

    def report(self) -> str:
        if not self.seen:
            return "other heavy processes during the measurement: none"
        return "WARNING: other heavy processes ran during the measurement: " + "; ".join(
            sorted(self.seen)[:3]
        )


def machine() -> str:
    import platform

    return f"{os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}"


def add_only_upsert_flag(parser) -> None:
    parser.add_argument(
        "--only-upsert",
        action="store_true",
        help="events get the benchmark's upsert subscriber only (not the project's '*' ones)",
    )


def start_bus_benchmark(*, only_upsert: bool) -> dict[str, str]:
    """Database ready, Django set up (optionally with the upsert subscriber alone), the bus
    tables and queue empty, and the machine printed. Returns the environment overrides
    that worker and publisher processes need too."""
    only = {"BENCH_ONLY_SUBSCRIBERS": "benchapp.upsert"} if only_upsert else {}
    ensure_database()
    setup_django(**only)
    reset_bus()
    print(f"machine: {machine()}")
    return only
