"""End-to-end lag of the event bus at a steady publish rate: commit → applied.

    .venv/bin/python -m benchmarks.lag [--rate 200] [--seconds 30] [--processes 2] [--threads 2]

A worker (`celery -A config worker --concurrency=2`, prefork) runs throughout. Publisher
processes (`--processes` x `--threads`, as web workers would be) publish `--rate` events
per second in total for `--seconds`, on a fixed schedule, each event in its own
transaction and about its own subject (as one request changing one record would). For
each event two lags are measured, on the same machine's clock:

- **visible**: from the publishing transaction's commit (an on-commit callback registered
  before `publish`, so it runs before the dispatch task is queued) to the commit of the
  worker transaction that applied it (an on-commit callback in the subscriber): when a
  reader of the projection can see the change. This is the figure the goal is about.
- **handler**: from the same commit to `clock_timestamp()` inside the subscriber's upsert.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import threading
import time

from benchmarks.common import (
    Neighbours,
    add_only_upsert_flag,
    celery_worker,
    percentile,
    redis_queue_length,
    setup_django,
    start_bus_benchmark,
    wait_for_quiet,
    wait_until,
)


def publish_one(key: str, committed: dict[str, float]) -> None:
    """One transaction, one event; records the commit time before the task is queued."""
    from django.db import transaction

    from integration.events import Subject, publish

    with transaction.atomic():
        # Registered first, so it runs before publish's own on-commit (the enqueue).
        transaction.on_commit(lambda: committed.__setitem__(key, time.time()))
        publish(
            "benchapp.item.changed", subject=Subject("benchapp.item", key, 1), data={"value": 1}
        )


def publisher_process(
    keys: list[tuple[int, str]], rate: float, threads: int, env: dict, out, start_at
) -> None:
    """Publish `keys` (k-th due at start + k/rate) from `threads` threads; send the times.

    Says "ready" once Django is set up, then waits for the common start time.
    """
    setup_django(**env)
    from django.db import connection

    out.put("ready")
    start = start_at.get(timeout=120)

    committed: dict[str, float] = {}
    behind = [0.0] * threads

    def run(index: int) -> None:
        try:
            for k, key in keys[index::threads]:
                delay = start + k / rate - time.time()
                if delay > 0:
                    time.sleep(delay)
                else:
                    behind[index] = max(behind[index], -delay)
                publish_one(key, committed)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put((committed, max(behind)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200, help="events per second")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--processes", type=int, default=2, help="publisher processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per publisher process")
    parser.add_argument("--concurrency", type=int, default=2)
    add_only_upsert_flag(parser)
    args = parser.parse_args()

    only = start_bus_benchmark(only_upsert=args.only_upsert)
    from benchmarks.benchapp.models import Item, Visible
    from integration.models import Delivery

    total = int(args.rate * args.seconds)
    print(
        f"scale: {args.rate:.0f} events/s for {args.seconds:.0f} s = {total} events, one per "
        f"transaction, {args.processes} publisher processes x {args.threads} threads, "
        f"worker --concurrency={args.concurrency}"
        + (", upsert subscriber only" if args.only_upsert else ", all subscribers")
    )
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)

    print(wait_for_quiet())
    worker = celery_worker(concurrency=args.concurrency, BENCH_RECORD_VISIBLE="1", **only).start()
    with Neighbours() as neighbours:
        try:
            worker.wait_for_log(" ready.", timeout=60)
            # Warm-up: both pool processes connected and their code loaded; not counted.
            warm: dict[str, float] = {}
            for i in range(20):
                publish_one(f"warm{i}", warm)
            wait_until(lambda: not pending.exists(), timeout=60, what="warm-up applied")

            context = multiprocessing.get_context("spawn")
            out, start_at = context.Queue(), context.Queue()
            keys = [(k, f"e{k}") for k in range(total)]
            publishers = [
                context.Process(
                    target=publisher_process,
                    args=(keys[i :: args.processes], args.rate, args.threads, only, out, start_at),
                    daemon=True,  # gone with this process, whatever happens
                )
                for i in range(args.processes)
            ]
            for publisher in publishers:
                publisher.start()
            for _ in publishers:
                out.get(timeout=120)  # "ready": Django set up, not part of the schedule
            start = time.time() + 0.5
            for _ in publishers:
                start_at.put(start)
            committed: dict[str, float] = {}
            behind = 0.0
            for _ in publishers:
                times, late = out.get(timeout=args.seconds + 300)
                committed.update(times)
                behind = max(behind, late)
            for publisher in publishers:
                publisher.join()
            published_in = max(committed.values()) - start
            queued = redis_queue_length()
            wait_until(lambda: not pending.exists(), timeout=120, what="all deliveries done")
            recorded = Visible.objects.filter(key__startswith="e")
            wait_until(lambda: recorded.count() >= total, timeout=30, what="visible times")
            drained_wait = time.monotonic()
            with contextlib.suppress(TimeoutError):  # reported below if it did not
                wait_until(lambda: redis_queue_length() == 0, timeout=120, what="drained")
            drained_in = time.monotonic() - drained_wait
        finally:
            worker.stop()

    visible = dict(Visible.objects.values_list("key", "visible_at"))
    handled = {key: at.timestamp() for key, at in Item.objects.values_list("key", "applied_at")}
    lags_visible = [visible[k] - committed[k] for k in committed]
    lags_handler = [handled[k] - committed[k] for k in committed]
    print(
        f"published: {len(committed)} events in {published_in:.1f} s = "
        f"{len(committed) / published_in:.0f} events/s (publishers at most "
        f"{behind * 1000:.0f} ms behind schedule)"
    )
    print(
        f"queue: {queued} dispatch tasks queued when publishing ended; {redis_queue_length()} "
        f"left {drained_in:.1f} s after the last event was applied"
    )
    for name, lags in (("visible", lags_visible), ("handler", lags_handler)):
        print(
            f"lag {name} (ms): p50 {percentile(lags, 50) * 1000:.0f}  "
            f"p95 {percentile(lags, 95) * 1000:.0f}  p99 {percentile(lags, 99) * 1000:.0f}  "
            f"max {max(lags) * 1000:.0f}"
        )
    print(neighbours.report())
    # Lag over time: a backlog that grows shows here before it shows in the percentiles.
    windows: dict[int, list[float]] = {}
    for key, lag in zip(committed, lags_visible, strict=True):
        windows.setdefault(int((committed[key] - start) // 10), []).append(lag)
    for window, lags in sorted(windows.items()):
        print(
            f"  {window * 10:>3}-{window * 10 + 10} s: {len(lags)} events, visible p95 "
            f"{percentile(lags, 95) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
