"""Lookup endpoints of the CRM's search-as-you-type pickers (integration.widgets.LookupSelect).

Each answers GET ?q=<text> with at most LOOKUP_LIMIT <option> elements, so a form never lists
every account or contact. Optional ?account=<id> keeps contacts and opportunities to one account.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm import selectors
from crm.models import Account, Campaign, Contact, Opportunity, Segment
from crm.views.common import crm_permission

LOOKUP_LIMIT = 20
MAX_QUERY_LENGTH = 100


def _query(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]


def _account_id(request: HttpRequest) -> int | None:
    """The ?account= restriction; an empty or malformed value restricts nothing."""
    value = request.GET.get("account", "").strip()
    return int(value) if value.isdigit() else None


def _options(
    request: HttpRequest, rows: QuerySet | Iterable[Any], label: Callable[[Any], str]
) -> HttpResponse:
    # One row more than shown tells whether to say "keep typing".
    found = list(rows[: LOOKUP_LIMIT + 1])  # type: ignore[index]
    return render(
        request,
        "crm/_lookup_options.html",
        {
            "options": [(row.pk, label(row)) for row in found[:LOOKUP_LIMIT]],
            "more": len(found) > LOOKUP_LIMIT,
            "q": _query(request),
        },
    )


@crm_permission("view_account")
@require_GET
def account_lookup(request: HttpRequest) -> HttpResponse:
    """Accounts by name (or by a contact's name or e-mail), alphabetically."""
    rows = (
        selectors.account_list(search=_query(request))
        .select_related(None)
        .prefetch_related(None)
        .only("id", "name", "billing_city")
    )

    def label(account: Account) -> str:
        return f"{account.name} · {account.billing_city}" if account.billing_city else account.name

    return _options(request, rows, label)


@crm_permission("view_contact")
@require_GET
def contact_lookup(request: HttpRequest) -> HttpResponse:
    """Contacts by name or e-mail, by last name; ?account= keeps them to one account."""
    account_id = _account_id(request)
    filters = {"account": account_id} if account_id is not None else {}
    rows = (
        selectors.contact_list(search=_query(request), filters=filters)
        .select_related(None)
        .select_related("account")
        .only("id", "first_name", "last_name", "email", "account__name")
    )

    def label(contact: Contact) -> str:
        text = f"{contact.full_name} <{contact.email}>" if contact.email else contact.full_name
        return text if account_id is not None else f"{text} · {contact.account.name}"

    return _options(request, rows, label)


@crm_permission("view_opportunity")
@require_GET
def opportunity_lookup(request: HttpRequest) -> HttpResponse:
    """Opportunities by name (or account name), alphabetically; ?account= keeps them to one."""
    account_id = _account_id(request)
    filters = {"account": account_id} if account_id is not None else {}
    rows = (
        selectors.opportunity_list(search=_query(request), filters=filters, ordering="name")
        .select_related(None)
        .select_related("account")
        .only("id", "name", "account__name")
    )

    def label(opportunity: Opportunity) -> str:
        if account_id is not None:
            return opportunity.name
        return f"{opportunity.name} · {opportunity.account.name}"

    return _options(request, rows, label)


@crm_permission("view_segment")
@require_GET
def segment_lookup(request: HttpRequest) -> HttpResponse:
    """Segments by name, alphabetically."""
    rows = Segment.objects.only("id", "name").order_by("name", "id")
    search = _query(request)
    if search:
        rows = rows.filter(name__icontains=search)
    return _options(request, rows, lambda segment: segment.name)


@crm_permission("view_campaign")
@require_GET
def campaign_lookup(request: HttpRequest) -> HttpResponse:
    """Campaigns by name, newest first (recent campaigns are the ones leads come from)."""
    # Not selectors.campaign_list: its member counts would cost a count per option here.
    rows = Campaign.objects.only("id", "name").order_by("-created_at", "-id")
    search = _query(request)
    if search:
        rows = rows.filter(name__icontains=search)
    return _options(request, rows, lambda campaign: campaign.name)
