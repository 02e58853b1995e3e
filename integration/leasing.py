"""What the outbox's workers share: leases on due rows, jittered backoff, queuing by id.

Used by event dispatch (integration.dispatch) and webhook sending (integration.webhooks):
both lease due rows with SKIP LOCKED, retry with jittered exponential backoff, and queue
Celery tasks by id without ever letting a dead broker fail or stall the caller.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta

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


def queue_by_id(task, ids: list[int], *, batch: int) -> None:
    """Queue `task(ids)` in batches. If the broker is down, log and return: the rows are
    in PostgreSQL and the sweeper queues them later."""
    global _broker_down_until
    if not ids or time.monotonic() < _broker_down_until:
        return
    try:
        for start in range(0, len(ids), batch):
            task.apply_async(args=[ids[start : start + batch]], retry=False)
    except Exception:  # the broker being down must never fail what already committed
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning(
            "Could not queue %d %s; the sweeper will. Not trying the broker for %ss.",
            len(ids),
            task.name,
            BROKER_BACKOFF_SECONDS,
            exc_info=True,
        )
