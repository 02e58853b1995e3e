"""Fault tests: workers killed mid-stream, Redis down at commit or restarted empty.

Nothing may be lost and nothing applied twice; the outbox in PostgreSQL, the leases and
the sweeper carry the work across the faults, not Redis.
"""

import shutil
import socket
import subprocess
import threading
import time

import pytest
import redis
from django.db import connection, transaction

from config.celery import app as celery_app
from integration.events import Subject, publish
from integration.models import Delivery
from tests.bus.conftest import use_broker, wait_until
from tests.busapp.models import Application

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def publish_one(i: int, kind: str = "item") -> None:
    with transaction.atomic():
        publish(
            f"bustest.{kind}.{'changed' if kind == 'item' else 'happened'}",
            subject=Subject("busapp.fault", f"s{i % 50}", i),
            data={"value": i} if kind == "item" else {},
        )


def pending() -> int:
    return Delivery.objects.exclude(status=Delivery.Status.DONE).count()


def assert_each_applied_once(expected: int) -> None:
    seqs = list(Application.objects.values_list("event_seq", "subscriber"))
    assert len(seqs) == expected, f"{len(seqs)} applications for {expected} deliveries"
    assert len(set(seqs)) == expected, "some delivery was applied twice"
    assert not Delivery.objects.exclude(status=Delivery.Status.DONE).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own, without persistence, to stop and restart at will."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10, what="redis-server to start")

    def _answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    previous = celery_app.conf.broker_url
    use_broker(server.url)
    yield server
    server.kill()
    use_broker(previous)


def test_worker_killed_mid_stream_and_restarted_applies_every_event_exactly_once(start_celery):
    worker = start_celery("worker")
    start_celery("beat")
    published = 0

    def publisher():
        nonlocal published
        for i in range(1000):
            publish_one(i)
            published += 1
        connection.close()

    thread = threading.Thread(target=publisher)
    thread.start()
    # Kill the worker (SIGKILL, whole process group) twice while events stream in.
    for threshold in (250, 600):
        wait_until(lambda t=threshold: published >= t, timeout=120, what=f"{threshold} published")
        worker.kill()
        time.sleep(0.5)
        worker.start()
    thread.join()

    wait_until(lambda: pending() == 0, timeout=120, what="every delivery applied")
    assert_each_applied_once(1000)


def test_redis_down_at_commit_and_restarted_empty_loses_nothing(start_celery, own_redis):
    # Given Redis is down when 50 transactions commit: the commits still succeed
    own_redis.kill()
    for i in range(50):
        publish_one(i)
    assert Delivery.objects.filter(subscriber="busapp.record").count() == 50
    own_redis.start()

    # And 2,000 more are queued in Redis, which then restarts with persistence off
    for i in range(50, 2050):
        publish_one(i)
    own_redis.kill()
    own_redis.start()
    assert redis.Redis.from_url(own_redis.url).dbsize() == 0  # every queued message is gone

    # When a worker and beat come up against it
    start_celery("worker", REDIS_URL=own_redis.url)
    start_celery("beat", REDIS_URL=own_redis.url)

    # Then the sweeper finds everything in the outbox and it is applied once
    wait_until(lambda: pending() == 0, timeout=180, what="every delivery applied")
    assert_each_applied_once(2050)


def test_deliveries_orphaned_by_a_killed_worker_are_applied_soon_after_restart(start_celery):
    # The broker's visibility timeout is an hour; recovery must not wait for it.
    worker = start_celery("worker")
    start_celery("beat")
    for i in range(20):
        publish_one(i, kind="slow")
    wait_until(
        lambda: Delivery.objects.filter(
            status=Delivery.Status.PENDING, lease_until__isnull=False
        ).exists(),
        timeout=30,
        what="the worker to hold deliveries",
    )

    worker.kill()
    restarted = time.monotonic()
    worker.start()

    wait_until(lambda: pending() == 0, timeout=60, what="orphaned deliveries applied")
    assert time.monotonic() - restarted < 60
    assert_each_applied_once(20)
