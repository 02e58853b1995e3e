"""Reads of the 360° view shared by its page and its API."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from integration.models import (
    CustomerActivity,
    CustomerContact,
    CustomerContract,
    CustomerOpportunity,
    CustomerOrder,
    CustomerQuote,
    CustomerView,
    Event,
)


def customer_get(account_id: int) -> CustomerView | None:
    return CustomerView.objects.live().filter(pk=account_id).first()


def customer_exists(account_id: int) -> bool:
    return CustomerView.objects.live().filter(pk=account_id).exists()


def customer_search(*, q: str = "", limit: int = 50) -> list[CustomerView]:
    """Customers by name, or by the name or e-mail of one of their contacts; names first."""
    customers = CustomerView.objects.live().exclude(name="")
    q = q.strip()
    if not q:
        return list(customers.order_by("name", "pk")[:limit])
    by_name = list(customers.filter(name__icontains=q).order_by("name", "pk")[:limit])
    if len(by_name) >= limit:
        return by_name
    contacts = CustomerContact.objects.filter(
        Q(name__icontains=q) | Q(email__icontains=q), deleted=False, account_id=OuterRef("pk")
    )
    by_contact = list(
        customers.filter(Exists(contacts))
        .exclude(pk__in=[c.pk for c in by_name])
        .order_by("name", "pk")[: limit - len(by_name)]
    )
    return by_name + by_contact


def customer_contacts(account_id: int, *, limit: int = 100) -> list[CustomerContact]:
    return list(
        CustomerContact.objects.filter(account_id=account_id, deleted=False).order_by(
            "name", "contact_id"
        )[:limit]
    )


def customer_open_opportunities(account_id: int, *, limit: int = 100) -> list[CustomerOpportunity]:
    return list(
        CustomerOpportunity.objects.filter(
            account_id=account_id, deleted=False, status="open"
        ).order_by("expected_close_date", "-opportunity_id")[:limit]
    )


def customer_activities(account_id: int, *, limit: int = 20) -> list[CustomerActivity]:
    """Open tasks first (soonest due), then the latest done."""
    return list(
        CustomerActivity.objects.filter(account_id=account_id, deleted=False).order_by(
            "done", "due_at", "-activity_id"
        )[:limit]
    )


def customer_recent_orders(account_id: int, *, limit: int = 10) -> list[CustomerOrder]:
    """The newest orders of every status (drafts and cancelled ones too), newest first."""
    return list(
        CustomerOrder.objects.filter(account_id=account_id, deleted=False)
        .defer("lines")
        .order_by("-order_id")[:limit]
    )


def customer_open_quotes(account_id: int, *, limit: int = 10) -> list[CustomerQuote]:
    return list(
        CustomerQuote.objects.filter(
            account_id=account_id, deleted=False, status__in=("draft", "sent")
        ).order_by("-quote_id")[:limit]
    )


def customer_contracts(account_id: int, *, limit: int = 10) -> list[CustomerContract]:
    """Contracts that have not ended, soonest end first."""
    return list(
        CustomerContract.objects.filter(account_id=account_id, deleted=False)
        .exclude(status="ended")
        .order_by("end_date", "-contract_id")[:limit]
    )


def customer_timeline(account_id: int) -> QuerySet[Event]:
    """Every event about the customer; callers page it newest first by `seq`."""
    return Event.objects.filter(customer_id=account_id)


def timeline_page(account_id: int, *, before: int | None, limit: int) -> list[Event]:
    """One page of the timeline, newest first, older than `before` (a seq)."""
    events = customer_timeline(account_id)
    if before is not None:
        events = events.filter(seq__lt=before)
    return list(events.order_by("-seq")[:limit])
