"""Reads of the 360° view shared by its page and its API."""

from __future__ import annotations

from django.db.models import CharField, F, Func, QuerySet

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
from integration.search import (
    email_address_q,
    name_q,
    person_q,
    with_email_aliases,
)


def customer_get(account_id: int) -> CustomerView | None:
    return CustomerView.objects.live().filter(pk=account_id).first()


def customer_exists(account_id: int) -> bool:
    return CustomerView.objects.live().filter(pk=account_id).exists()


# Name matches the search lists through the trigram index, then sorts by their ids; more (a
# broad term, "data"), and it has PostgreSQL fetch and sort every match instead.
SEARCH_PROBE = 1_000
# Matching contacts whose customers the search looks at.
CONTACT_PROBE = 5_000


def customer_search(*, q: str = "", limit: int = 50) -> list[CustomerView]:
    """Customers by name, or by the name or e-mail of one of their contacts (the rules of
    integration.search: name_q, person_q, as the CRM's searches); names first, each part
    in name order. Every read goes through an index and stops early: the names after
    SEARCH_PROBE matches, the contacts after CONTACT_PROBE (whose customers are then the
    ones shown for contacts)."""
    customers = CustomerView.objects.live().exclude(name="")
    q = q.strip()
    if not q:
        return list(customers.order_by("name", "pk")[:limit])
    by_name = [] if email_address_q(q) is not None else _named(customers, q, limit)
    if len(by_name) >= limit:
        return by_name
    contacts = with_email_aliases(CustomerContact.objects.filter(deleted=False))
    found = set(
        contacts.filter(person_q("name", q))
        .order_by()
        .values_list("account_id", flat=True)[:CONTACT_PROBE]
    )
    found -= {customer.pk for customer in by_name}
    by_contact = customers.filter(pk__in=found - {None}).order_by("name", "pk")
    return by_name + list(by_contact[: limit - len(by_name)])


def _named(customers: QuerySet[CustomerView], q: str, limit: int) -> list[CustomerView]:
    """The first `limit` customers whose name matches `q`, in name order."""
    ids = list(
        customers.filter(name_q("name", q))
        .order_by()
        .values_list("pk", flat=True)[: SEARCH_PROBE + 1]
    )
    if len(ids) <= SEARCH_PROBE:
        return list(customers.filter(pk__in=ids).order_by("name", "pk")[:limit])
    # A broad term: every match, sorted. Walking the name index would be a trap: names
    # cluster in name order ("Nordic …" under N), so a walk from A passes half the table.
    # Ordered by an expression no index holds, so that PostgreSQL fetches the matches
    # through the search's indexes and sorts them.
    unindexed = Func(F("name"), template="(%(expressions)s || '')", output_field=CharField())
    matching = customers.filter(name_q("name", q))
    return list(matching.order_by(unindexed, "pk")[:limit])


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
