"""What the outbox's workers share: leases on due rows, jittered backoff, queuing by id.

Used by event dispatch (integration.dispatch) and webhook sending (integration.webhooks):
both lease due rows with SKIP LOCKED, retry with jittered exponential backoff, and queue
Celery tasks by id without ever letting a dead broker fail or stall the caller.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from datetime import datetime, timedelta

import redis
from django.db import connection
from django.db.models import Q, QuerySet

logger = logging.getLogger(__name__)


def backoff(attempts: int, *, base: float, cap: float) -> timedelta:
    """Exponential backoff with jitter: between half and all of base·2^(n-1), capped."""
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter


def unleased(now: datetime) -> Q:
    """Rows nobody holds: never leased, or the lease ran out."""
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def lock_due(
    candidates: QuerySet, *, ids: list[int] | None, limit: int, fields: tuple[str, ...]
) -> list:
    """Lock up to `limit` due rows (of `ids`, if given), oldest due first, skipping rows
    another worker holds; returns their `fields`. Call inside a transaction."""
    if ids is not None:
        candidates = candidates.filter(pk__in=ids)
    skip_locked = connection.features.has_select_for_update_skip_locked
    rows = candidates.order_by("next_attempt_at", "id").select_for_update(skip_locked=skip_locked)
    if len(fields) == 1:
        return list(rows.values_list(fields[0], flat=True)[:limit])
    return list(rows.values_list(*fields)[:limit])


# After the broker fails, skip it for a moment: a request must not wait on a dead Redis,
# and the sweepers queue whatever was skipped once the broker is back.
BROKER_BACKOFF_SECONDS = 5.0
_broker_down_until = 0.0


def queue_by_id(task, ids: list[int], *, batch: int, max_waiting: int | None = None) -> None:
    """Queue `task(ids)` in batches. If the broker is down, log and return: the rows are
    in PostgreSQL and the sweeper queues them later.

    With `max_waiting`, batches are queued only while fewer than that many messages wait
    in the task's queue: a task that claims other due rows besides its own picks up the
    rows of the batches not queued.
    """
    if not ids:
        return
    batches = [ids[start : start + batch] for start in range(0, len(ids), batch)]
    _apply(task, batches, max_waiting=max_waiting)


def queue_more(task, *, max_waiting: int) -> None:
    """Queue one `task()` without ids (it claims whatever is due), unless enough wait."""
    _apply(task, [None], max_waiting=max_waiting)


def _apply(task, batches: list, *, max_waiting: int | None) -> None:
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return
    try:
        if max_waiting is not None:
            batches = batches[: max(0, max_waiting - waiting(task))]
        for ids in batches:
            task.apply_async(args=[ids], retry=False)
    except Exception:  # the broker being down must never fail what already committed
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning(
            "Could not queue %s; the sweeper will. Not trying the broker for %ss.",
            task.name,
            BROKER_BACKOFF_SECONDS,
            exc_info=True,
        )


def waiting(task) -> int:
    """Messages waiting in the task's own queue (not those a worker holds); 0 when tasks
    run eagerly or the broker is not Redis."""
    app = task.app
    queue = (app.conf.task_routes or {}).get(task.name, {}).get("queue")
    url = app.conf.broker_url or ""
    if app.conf.task_always_eager or not queue or not url.startswith(("redis://", "rediss://")):
        return 0
    return _redis(url).llen(queue)


@functools.lru_cache(maxsize=8)
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
