"""Celery entry points of the bus: thin, they call integration.dispatch."""

import logging

from celery import shared_task
from django.conf import settings

from integration import dispatch as bus
from integration import leasing

logger = logging.getLogger(__name__)


@shared_task(name="integration.dispatch", ignore_result=True)
def dispatch(delivery_ids: list[int] | None = None) -> dict:
    """Apply these deliveries and other due ones, a batch; a full batch queues the next."""
    result = bus.dispatch(delivery_ids)
    if result.claimed >= settings.TANDEM_EVENT_BATCH_SIZE:
        leasing.queue_more(dispatch, max_waiting=settings.TANDEM_EVENT_MAX_WAITING)
    return {"done": result.done, "failed": result.failed, "dead": result.dead}


def queue_dispatch(delivery_ids: list[int]) -> None:
    """Queue dispatch of these deliveries in batches, unless enough dispatch tasks wait
    already (they claim these too); never fails on a dead broker."""
    leasing.queue_by_id(
        dispatch,
        delivery_ids,
        batch=settings.TANDEM_EVENT_BATCH_SIZE,
        max_waiting=settings.TANDEM_EVENT_MAX_WAITING,
    )


@shared_task(name="integration.sweep", ignore_result=True)
def sweep() -> int:
    """Re-queue deliveries nobody is working on: lost messages, retries now due, dead workers."""
    due = bus.due_deliveries(
        older_than=settings.TANDEM_EVENT_SWEEP_GRACE, limit=settings.TANDEM_EVENT_SWEEP_LIMIT
    )
    queue_dispatch(due)
    if due:
        logger.info("Sweeper queued %d due deliveries.", len(due))
    return len(due)


@shared_task(name="integration.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    """Delete expired Idempotency-Key records (hourly, from beat)."""
    from integration.api.idempotency import purge_expired_keys

    deleted = purge_expired_keys()
    if deleted:
        logger.info("Purged %d expired idempotency keys.", deleted)
    return deleted


@shared_task(name="integration.send_webhooks", ignore_result=True)
def send_webhooks(delivery_ids: list[int] | None = None) -> dict:
    """Send webhook deliveries (these, then other due ones) and record each attempt."""
    from integration import webhooks

    result = webhooks.send(delivery_ids)
    return {
        "delivered": result.delivered,
        "failed": result.failed,
        "gave_up": result.gave_up,
        "disabled": result.disabled,
    }


@shared_task(name="integration.sweep_webhooks", ignore_result=True)
def sweep_webhooks() -> int:
    """Queue webhook deliveries that are due: retries, lost messages, dead workers' leases."""
    from integration import webhooks

    due = webhooks.due_deliveries()
    webhooks.enqueue(due)
    if due:
        logger.info("Webhook sweeper queued %d due deliveries.", len(due))
    return len(due)
