"""CRM's 360° figures computed from its own tables: the fact source `check_customer_view` uses.

Found by integration's autodiscovery of `<app>/facts.py`; the projection itself never
reads these tables, it is built from events only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum

from crm.models import Account, Contact, Opportunity
from integration.customer_view import by_account, by_currency, in_currency, register_fact_source


def _account_filter(account_ids: list[int] | range, field: str) -> dict[str, Any]:
    if isinstance(account_ids, range):
        return {f"{field}__gte": account_ids.start, f"{field}__lt": account_ids.stop}
    return {f"{field}__in": list(account_ids)}


def crm_facts(account_ids: list[int] | range) -> dict[int, dict[str, Any]]:
    """Each account among `account_ids` with its CRM figures; one left out does not exist."""
    zero = Decimal("0.00")
    accounts = (
        Account.objects.filter(**_account_filter(account_ids, "pk"))
        .order_by()
        .values_list("pk", "name", "status", "currency")
    )
    facts: dict[int, dict[str, Any]] = {}
    currencies: dict[int, str] = {}
    for pk, name, status, currency in accounts:
        currencies[pk] = currency
        facts[pk] = {
            "name": name,
            "status": status,
            "currency": currency,
            "contacts_count": 0,
            "open_opportunities_count": 0,
            "open_opportunities_value": zero,
            "open_opportunities_by_currency": {},
            "won_value": zero,
            "won_by_currency": {},
        }
    if not facts:
        return facts
    contacts = (
        Contact.objects.filter(**_account_filter(account_ids, "account_id"))
        .values("account_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in contacts:
        facts[row["account_id"]]["contacts_count"] = row["n"]
    opportunities = (
        Opportunity.objects.filter(**_account_filter(account_ids, "account_id"))
        .values("account_id", "currency")
        .annotate(
            open_n=Count("pk", filter=Q(status=Opportunity.Status.OPEN)),
            open_v=Sum("amount", filter=Q(status=Opportunity.Status.OPEN)),
            won=Sum("amount", filter=Q(status=Opportunity.Status.WON)),
        )
        .order_by()
    )
    for account_id, rows in by_account(opportunities).items():
        open_value = by_currency((r["currency"], r["open_v"]) for r in rows)
        won = by_currency((r["currency"], r["won"]) for r in rows)
        currency = currencies[account_id]
        facts[account_id].update(
            open_opportunities_count=sum(r["open_n"] for r in rows),
            open_opportunities_value=in_currency(open_value, currency),
            open_opportunities_by_currency=open_value,
            won_value=in_currency(won, currency),
            won_by_currency=won,
        )
    return facts


def max_account_id() -> int | None:
    return Account.objects.aggregate(top=Max("pk"))["top"]


register_fact_source("crm", crm_facts, max_account_id=max_account_id)
