"""CRM's 360° figures computed from its own tables: the fact source `check_customer_view` uses.

Found by integration's autodiscovery of `<app>/facts.py`; the projection itself never
reads these tables, it is built from events only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum

from crm.models import Account, Contact, Opportunity
from integration.customer_view import register_fact_source


def _account_filter(account_ids: list[int] | range, field: str) -> dict[str, Any]:
    if isinstance(account_ids, range):
        return {f"{field}__gte": account_ids.start, f"{field}__lt": account_ids.stop}
    return {f"{field}__in": list(account_ids)}


def crm_facts(account_ids: list[int] | range) -> dict[int, dict[str, Any]]:
    """Each account among `account_ids` with its CRM figures; one left out does not exist."""
    zero = Decimal("0.00")
    facts: dict[int, dict[str, Any]] = {
        pk: {
            "name": name,
            "status": status,
            "contacts_count": 0,
            "open_opportunities_count": 0,
            "open_opportunities_value": zero,
            "won_value": zero,
        }
        for pk, name, status in Account.objects.filter(**_account_filter(account_ids, "pk"))
        .order_by()
        .values_list("pk", "name", "status")
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
        .values("account_id")
        .annotate(
            open_n=Count("pk", filter=Q(status=Opportunity.Status.OPEN)),
            open_v=Sum("amount", filter=Q(status=Opportunity.Status.OPEN)),
            won=Sum("amount", filter=Q(status=Opportunity.Status.WON)),
        )
        .order_by()
    )
    for row in opportunities:
        facts[row["account_id"]].update(
            open_opportunities_count=row["open_n"],
            open_opportunities_value=row["open_v"] or zero,
            won_value=row["won"] or zero,
        )
    return facts


def max_account_id() -> int | None:
    return Account.objects.aggregate(top=Max("pk"))["top"]


register_fact_source("crm", crm_facts, max_account_id=max_account_id)
