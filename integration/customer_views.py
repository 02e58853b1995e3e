"""Pages of the 360° customer view: the searchable index and one page per customer."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from integration.access import area_required
from integration.customer_view import selectors, source_page
from integration.models import Event

TIMELINE_PAGE = 25
SEARCH_LIMIT = 50

DELETED_VERBS = ("deleted", "merged")


def _timeline_items(events: list[Event]) -> list[dict]:
    items = []
    for event in events:
        link = None
        if not event.type.endswith(DELETED_VERBS):
            link = source_page(event.subject_type, event.subject_id)
        items.append({"event": event, "title": _timeline_title(event.data or {}), "link": link})
    return items


def _timeline_title(data: dict) -> str:
    """A name for the entry: the subject's name, or a sales document's number and amount."""
    if "number" in data:
        parts = [data["number"], data.get("title") or ""]
        amount = data.get("total", data.get("value"))
        if amount is not None:
            parts.append(f"{amount} {data.get('currency', '')}".strip())
        shipped = (data.get("shipment") or {}).get("lines")
        if shipped:
            parts.append(f"{len(shipped)} product(s) shipped")
        return " · ".join(p for p in parts if p)
    return data.get("name") or data.get("subject") or data.get("merged_name") or ""


def _timeline_context(account_id: int, before: int | None) -> dict:
    events = selectors.timeline_page(account_id, before=before, limit=TIMELINE_PAGE + 1)
    more = len(events) > TIMELINE_PAGE
    events = events[:TIMELINE_PAGE]
    return {
        "account_id": account_id,
        "items": _timeline_items(events),
        "next_before": events[-1].seq if more else None,
    }


@area_required("customers")
@require_GET
def customer_index(request: HttpRequest) -> HttpResponse:
    """Customers by name or by a contact's name or e-mail (the navbar's search box)."""
    q = request.GET.get("q", "").strip()[:200]
    customers = selectors.customer_search(q=q, limit=SEARCH_LIMIT)
    context = {"q": q, "customers": customers, "limit": SEARCH_LIMIT}
    if request.htmx and request.htmx.target == "customer-results":
        return render(request, "integration/customer_results.html", context)
    return render(request, "integration/customer_index.html", context)


@area_required("customers")
@require_GET
def customer_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    customer = selectors.customer_get(account_id)
    if customer is None:
        raise Http404("No such customer.")
    context = {
        "customer": customer,
        "contacts": selectors.customer_contacts(account_id),
        "opportunities": selectors.customer_open_opportunities(account_id),
        "activities": selectors.customer_activities(account_id),
        "orders": selectors.customer_recent_orders(account_id),
        "quotes": selectors.customer_open_quotes(account_id),
        "contracts": selectors.customer_contracts(account_id),
        "crm_account_url": source_page("crm.account", account_id),
        **_timeline_context(account_id, None),
    }
    return render(request, "integration/customer_detail.html", context)


@area_required("customers")
@require_GET
def customer_timeline(request: HttpRequest, account_id: int) -> HttpResponse:
    """The next page of the timeline (htmx infinite scroll): older than `before`."""
    if not selectors.customer_exists(account_id):
        raise Http404("No such customer.")
    try:
        before = int(request.GET["before"]) if request.GET.get("before") else None
    except ValueError:
        before = None
    return render(
        request, "integration/customer_timeline.html", _timeline_context(account_id, before)
    )
