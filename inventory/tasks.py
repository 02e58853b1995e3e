"""Celery entry points of inventory: thin, they call inventory.services."""

from celery import shared_task

from inventory import services


@shared_task(name="inventory.propose_reorders", ignore_result=True)
def propose_reorders() -> list[str]:
    """Draft purchase orders for products below their reorder minimum (hourly, by beat)."""
    return [order.number for order in services.reorder_propose()]
