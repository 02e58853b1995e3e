"""Applying deliveries: claim with a lease, run handlers, record the outcome — exactly once.

1. **Claim** (its own short transaction): pending deliveries that are due and not leased
   get a lease. A delivery still leased from an earlier claim was being applied by a
   worker that died: its `lost` count goes up, and after POISON_LIMIT such deaths it is
   dead (a handler that kills its process is not retried forever).
2. **Apply** (one transaction per batch): the claimed rows are locked and re-checked, the
   handlers run, and the done marks commit with the handlers' writes. If a handler
   raises, the batch is rolled back and run again with one savepoint per handler, so
   only the failing delivery is left undone. A delivery re-claimed after a lease expired
   waits on the lock and then finds it done.
3. Failures get exponential backoff with jitter; after MAX_ATTEMPTS they are dead.
   Retries are not Celery countdowns: the sweeper re-queues what is due, so nothing
   depends on the broker keeping a message.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from integration import leasing
from integration.events import get_subscriber
from integration.models import Delivery

logger = logging.getLogger(__name__)


def max_attempts() -> int:
    return settings.TANDEM_EVENT_MAX_ATTEMPTS


def poison_limit() -> int:
    return settings.TANDEM_EVENT_POISON_LIMIT


def lease() -> timedelta:
    return timedelta(seconds=settings.TANDEM_EVENT_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    return leasing.backoff(
        attempts,
        base=settings.TANDEM_EVENT_RETRY_BASE_SECONDS,
        cap=settings.TANDEM_EVENT_RETRY_MAX_SECONDS,
    )


@dataclass
class DispatchResult:
    claimed: int = 0
    done: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0


def claim(
    delivery_ids: list[int] | None, *, limit: int, fill: bool = False
) -> tuple[list[int], list[int]]:
    """Lease due deliveries (the given ones, or any); returns (claimed, suspects).

    With `fill`, other due deliveries are leased too, up to `limit`, in the same
    transaction: under load one task applies many.

    Suspects were leased before and their worker died: a claim that meets one takes
    only that one, so a poison delivery cannot take a batch down with it again.
    """
    now = timezone.now()
    with transaction.atomic():
        live, suspects = _lease(delivery_ids, limit=limit, now=now)
        # At most one suspect per call: if it is poison, it kills this process, and every
        # other delivery leased here would be counted as lost along with it.
        if fill and delivery_ids is not None and len(live) < limit and not suspects:
            # The rows just leased are no longer ready, so this finds others.
            more, more_suspects = _lease(None, limit=limit - len(live), now=now)
            live += more
            suspects += more_suspects
    return live, suspects


def _lease(delivery_ids: list[int] | None, *, limit: int, now) -> tuple[list[int], list[int]]:
    """The claim proper, inside the caller's transaction."""
    due = Delivery.objects.filter(
        Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now) & leasing.unleased(now)
    )
    rows = leasing.lock_due(
        due, ids=delivery_ids, limit=limit, fields=("pk", "lease_until", "lost")
    )
    if not rows:
        return [], []
    live: list[int] = []
    suspects: list[int] = []
    crashed: list[int] = []
    poisoned: list[int] = []
    for pk, lease_until, lost in rows:
        # A lease that ran out means the worker holding it died (or overran it).
        if lease_until is not None:
            crashed.append(pk)
            lost += 1
            if lost >= poison_limit():
                poisoned.append(pk)
                continue
        live.append(pk)
        if lost:
            suspects.append(pk)
    if suspects:
        # A delivery whose worker died is applied alone, so that if it is the
        # poison it takes nothing else down; the rest stay for other claims.
        live = suspects = suspects[:1]
    if crashed:
        # Counted once: the expired lease is cleared here (or renewed below).
        Delivery.objects.filter(pk__in=crashed).update(lost=F("lost") + 1, lease_until=None)
    if poisoned:
        Delivery.objects.filter(pk__in=poisoned).update(
            status=Delivery.Status.DEAD,
            lease_until=None,
            last_error=f"The worker died while applying this delivery {poison_limit()} times.",
        )
        logger.error("Deliveries %s are dead: they killed their worker.", poisoned)
    if live:
        Delivery.objects.filter(pk__in=live).update(lease_until=now + lease())
    return live, suspects


class _HandlerFailed(Exception):
    """A handler raised while a batch ran without savepoints: roll the batch back."""


def apply(delivery_ids: list[int]) -> DispatchResult:
    """Run the handlers of claimed deliveries in one transaction; a failure affects only its own.

    The batch first runs without savepoints (two fewer round trips per delivery). If a
    handler raises, that whole transaction is rolled back — no handler's writes and no
    done mark of it remain — and the batch runs again with one savepoint per delivery,
    where the failure is recorded and the others' effects commit.
    """
    if not delivery_ids:
        return DispatchResult()
    try:
        return _apply(delivery_ids, isolate=False)
    except _HandlerFailed:
        return _apply(delivery_ids, isolate=True)


def _apply(delivery_ids: list[int], *, isolate: bool) -> DispatchResult:
    result = DispatchResult()
    with transaction.atomic():
        deliveries = list(
            Delivery.objects.select_for_update(of=("self",))
            .select_related("event")
            .filter(pk__in=delivery_ids, status=Delivery.Status.PENDING)
            .order_by("id")  # rows locked in one order by every caller
        )
        result.skipped = len(delivery_ids) - len(deliveries)
        # One global order for the rows handlers lock (by subject, then event), so two
        # batches touching the same subjects wait for each other instead of deadlocking.
        deliveries.sort(
            key=lambda d: (d.event.subject_type, d.event.subject_id, d.subscriber, d.event_id)
        )
        done: list[int] = []
        for delivery in deliveries:
            sub = get_subscriber(delivery.subscriber)
            try:
                if sub is None:
                    raise LookupError(f"No subscriber named {delivery.subscriber!r} is registered.")
                if isolate:
                    with transaction.atomic():
                        sub.handler(delivery.event)
                else:
                    sub.handler(delivery.event)
            except Exception as exc:
                if not isolate:
                    raise _HandlerFailed from exc
                _record_failure(delivery, exc, timezone.now())
                if delivery.status == Delivery.Status.DEAD:
                    result.dead += 1
                else:
                    result.failed += 1
            else:
                done.append(delivery.pk)
        if done:
            now = timezone.now()
            marked = Delivery.objects.filter(pk__in=done)
            try:
                marked.update(
                    status=Delivery.Status.DONE, done_at=now, lease_until=None, updated_at=now
                )
            except DatabaseError as exc:
                # Without savepoints, a handler that swallowed its own database error
                # leaves the transaction aborted: find it with savepoints.
                if not isolate:
                    raise _HandlerFailed from exc
                raise
            result.done = len(done)
    return result


def _record_failure(delivery: Delivery, exc: Exception, now) -> None:
    delivery.attempts += 1
    delivery.lease_until = None
    delivery.last_error = "".join(traceback.format_exception(exc))[-4000:]
    if delivery.attempts >= max_attempts():
        delivery.status = Delivery.Status.DEAD
        logger.error(
            "Delivery %s (%s) is dead after %s attempts: %s",
            delivery.pk,
            delivery.subscriber,
            delivery.attempts,
            exc,
        )
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        logger.warning(
            "Delivery %s (%s) failed (attempt %s), retrying at %s: %s",
            delivery.pk,
            delivery.subscriber,
            delivery.attempts,
            delivery.next_attempt_at.isoformat(),
            exc,
        )
    delivery.save(
        update_fields=[
            "attempts",
            "lease_until",
            "last_error",
            "status",
            "next_attempt_at",
            "updated_at",
        ]
    )


def dispatch(delivery_ids: list[int] | None = None, *, batch: int | None = None) -> DispatchResult:
    """Claim and apply: the given deliveries plus other due ones, up to a batch."""
    batch = batch or settings.TANDEM_EVENT_BATCH_SIZE
    total = DispatchResult()
    claimed, suspects = claim(delivery_ids, limit=batch, fill=True)
    total.claimed = len(claimed)
    suspect_set = set(suspects)
    healthy = [pk for pk in claimed if pk not in suspect_set]
    for ids in ([healthy] if healthy else []) + [[pk] for pk in suspects]:
        outcome = apply(ids)
        total.done += outcome.done
        total.failed += outcome.failed
        total.dead += outcome.dead
        total.skipped += outcome.skipped
    return total


def due_deliveries(*, older_than: timedelta, limit: int) -> list[int]:
    """Pending deliveries that are due and unleased (or whose lease expired)."""
    now = timezone.now()
    return list(
        Delivery.objects.filter(
            Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now - older_than)
            & leasing.unleased(now)
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def replay(deliveries) -> int:
    """Make dead (or done) deliveries pending again, due now; returns how many.

    The last error stays for reference until the next attempt overwrites it.
    """
    now = timezone.now()
    return deliveries.exclude(status=Delivery.Status.PENDING).update(
        status=Delivery.Status.PENDING,
        attempts=0,
        lost=0,
        next_attempt_at=now,
        lease_until=None,
        done_at=None,
        updated_at=now,
    )
