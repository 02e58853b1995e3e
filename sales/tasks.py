"""Celery entry points of sales: thin, they call sales.services."""

from celery import shared_task

from sales import services


@shared_task(name="sales.remind_contract_renewals", ignore_result=True)
def remind_contract_renewals() -> dict:
    """Daily: renewal reminders for contracts ending within 30 days, and overdue quotes
    marked expired."""
    reminded = services.contract_remind_renewals()
    expired = services.quote_expire_overdue()
    return {"reminded": len(reminded), "expired_quotes": expired}
