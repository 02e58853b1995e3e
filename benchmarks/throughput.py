"""Events applied per second by one Celery worker (2 prefork processes) from a backlog.

    .venv/bin/python -m benchmarks.throughput [--events 20000] [--per-tx 1] [--only-upsert]

1. With no worker running, publishes `--events` `benchapp.item.changed` events, `--per-tx`
   per transaction, from `--publishers` threads (each transaction's on-commit queues one
   dispatch task in Redis, so they pile up as after a worker outage): the publish rate.
2. Starts `celery -A config worker --concurrency=2 --pool=prefork` and measures from the
   worker's "ready" to the moment no delivery is pending: events/s and deliveries/s
   applied. The benchmark's subscriber is one PostgreSQL upsert per event, on `--keys`
   distinct subjects; without `--only-upsert` events also get the project's `*` subscribers.
3. Watches the leftover tasks (their deliveries were taken by earlier tasks) for `--drain`
   seconds: the cost of a task with nothing to apply.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

from benchmarks.common import (
    LOG_DIR,
    Neighbours,
    Service,
    add_only_upsert_flag,
    celery_worker,
    redis_queue_length,
    start_bus_benchmark,
    wait_for_quiet,
    wait_until,
)


def py_spy(worker: Service) -> Service:
    """py-spy sampling the worker and its pool processes until stopped (collapsed stacks)."""
    out = LOG_DIR / "worker.pyspy.txt"
    return Service(
        "py-spy",
        [
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--subprocesses",
            "--format=raw",
            f"--output={out}",
            f"--pid={worker.proc.pid}",
        ],
        os.environ.copy(),
    ).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--per-tx", type=int, default=1, help="events per publishing transaction")
    parser.add_argument("--keys", type=int, default=1_000, help="distinct subjects upserted")
    parser.add_argument("--publishers", type=int, default=4, help="publishing threads")
    parser.add_argument("--concurrency", type=int, default=2)
    add_only_upsert_flag(parser)
    parser.add_argument("--timeout", type=float, default=480, help="seconds to wait for the worker")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="ANALYZE the deliveries after publishing (planner statistics that know the backlog)",
    )
    parser.add_argument(
        "--drain", type=float, default=30, help="seconds to watch the leftover tasks run"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the worker with py-spy (pip install py-spy) into var/benchmarks/",
    )
    args = parser.parse_args()

    only = start_bus_benchmark(only_upsert=args.only_upsert)
    from django.db import connection, transaction
    from django.db.models import Count, Max, Min

    from benchmarks.benchapp.models import Item
    from integration.events import Subject, publish
    from integration.models import Delivery

    print(
        f"scale: {args.events} events, {args.per_tx} per publishing transaction, "
        f"{args.keys} subjects, worker --concurrency={args.concurrency}"
        + (", upsert subscriber only" if args.only_upsert else ", all subscribers")
    )

    print(wait_for_quiet())

    # 1. publish the backlog, no worker running
    def publisher(index: int) -> None:
        try:
            step = args.per_tx * args.publishers
            for first in range(index * args.per_tx, args.events, step):
                with transaction.atomic():
                    for i in range(first, min(first + args.per_tx, args.events)):
                        publish(
                            "benchapp.item.changed",
                            subject=Subject("benchapp.item", f"k{i % args.keys}", i + 1),
                            data={"value": i},
                        )
        finally:
            connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=publisher, args=(i,)) for i in range(args.publishers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    publish_seconds = time.perf_counter() - started
    queued = redis_queue_length()
    print(
        f"publish: {args.events} events in {publish_seconds:.1f} s = "
        f"{args.events / publish_seconds:.0f} events/s ({args.publishers} threads in one "
        f"process, no worker running); {queued} tasks queued"
    )

    if args.analyze:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Delivery._meta.db_table}")

    # 2. apply the backlog
    print(wait_for_quiet())
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
    with Neighbours() as neighbours:
        worker = celery_worker(concurrency=args.concurrency, **only).start()
        spawned = time.perf_counter()
        worker.wait_for_log(" ready.", timeout=60)
        ready = time.perf_counter()
        profiler = py_spy(worker) if args.profile else None
        wait_until(lambda: not pending.exists(), timeout=args.timeout, what="all deliveries done")
        finished = time.perf_counter()
        left = redis_queue_length()
        # The tasks still queued find their deliveries done; how fast they go is measured
        # for at most --drain seconds.
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: redis_queue_length() == 0, timeout=args.drain, what="drained")
        drained = time.perf_counter()
        still = redis_queue_length()
        if profiler is not None:
            profiler.stop(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        worker.stop()

    applied_seconds = finished - ready
    span = Delivery.objects.aggregate(first=Min("done_at"), last=Max("done_at"))
    done = Delivery.objects.filter(status=Delivery.Status.DONE).count()
    per_subscriber = dict(
        Delivery.objects.values_list("subscriber").annotate(Count("id")).order_by()
    )
    items = Item.objects.count()
    newest = Item.objects.aggregate(Max("version"))["version__max"]
    print(f"worker start-up: {ready - spawned:.1f} s (not counted)")
    print(f"subscribers: {per_subscriber}")
    print(
        f"applied: {args.events} events ({done} deliveries) done in {applied_seconds:.2f} s "
        f"after ready = {args.events / applied_seconds:.0f} events/s, "
        f"{done / applied_seconds:.0f} deliveries/s "
        f"(first to last done_at: {(span['last'] - span['first']).total_seconds():.2f} s)"
    )
    print(
        f"queue: {left} tasks still queued when all were done; {left - still} of them "
        f"ran in the next {drained - finished:.1f} s = "
        f"{(left - still) / (drained - finished):.0f} tasks/s with nothing left to apply"
    )
    ok = (
        done == sum(per_subscriber.values())
        and items == min(args.keys, args.events)
        and newest == args.events
    )
    print(neighbours.report())
    print(f"check: {items} items, newest version {newest}: {'OK' if ok else 'MISMATCH'}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
