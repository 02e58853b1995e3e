"""Quote services: draft → sent → accepted (becomes a sales order) | rejected | expired.

A quote on an opportunity drives the opportunity's amount (through crm.services), and
accepting it marks the opportunity won in the same transaction as the order is created.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm import services as crm
from crm.models import Account, Contact, Opportunity, Stage
from integration.events import publish
from inventory.models import Warehouse
from sales.errors import InvalidTransition, QuoteAlreadyAccepted, QuoteExpired
from sales.events import quote_data
from sales.models import Quote, QuoteLine
from sales.services.base import (
    assign_number,
    build_lines,
    bump,
    lines_with_products,
    lock,
    replace_lines,
    set_totals,
    update_draft,
)
from sales.services.orders import order_create
from sales.services.pricing import price_for

S = Quote.Status
_EDITABLE = (
    "contact",
    "contact_id",
    "opportunity",
    "opportunity_id",
    "currency",
    "valid_until",
    "notes",
    "owner",
    "owner_id",
)


def _publish(
    event_type: str, quote: Quote, lines: list[QuoteLine] | None = None, actor: Any = None
) -> None:
    lines = lines_with_products(quote, "lines") if lines is None else lines
    publish(
        event_type,
        subject=quote,
        data=quote_data(quote, lines),
        customer_id=quote.account_id,
        actor=actor,
    )


def _check_links(quote: Quote) -> None:
    if quote.contact is not None and quote.contact.account_id != quote.account_id:
        raise ValidationError({"contact": ["The contact belongs to another account."]})
    if quote.opportunity is not None and quote.opportunity.account_id != quote.account_id:
        raise ValidationError({"opportunity": ["The opportunity belongs to another account."]})


def _priced_lines(quote: Quote, lines: Sequence[Mapping[str, Any]]) -> list[QuoteLine]:
    def price(product, quantity):
        return price_for(
            product=product, account=quote.account, quantity=quantity, currency=quote.currency
        )

    built = build_lines(QuoteLine, lines, price=price, exclude=("quote",))
    set_totals(quote, built)
    return built


def _drive_opportunity(quote: Quote) -> None:
    """An open opportunity's amount follows its quote's total."""
    opportunity = quote.opportunity
    if opportunity is None or opportunity.status != Opportunity.Status.OPEN:
        return
    crm.opportunity_update(opportunity=opportunity, amount=quote.total, currency=quote.currency)


def _check_open(quote: Quote, action: str, today: dt.date | None = None) -> None:
    if quote.status == S.ACCEPTED:
        raise QuoteAlreadyAccepted()
    if quote.status not in (S.DRAFT, S.SENT):
        raise InvalidTransition(status=quote.status, action=action)
    today = today or timezone.localdate()
    if quote.valid_until is not None and quote.valid_until < today:
        raise QuoteExpired()


@transaction.atomic
def quote_create(
    *,
    account: Account,
    lines: Sequence[Mapping[str, Any]],
    contact: Contact | None = None,
    opportunity: Opportunity | None = None,
    currency: str | None = None,
    valid_until: dt.date | None = None,
    notes: str = "",
    owner: Any = None,
    actor: Any = None,
) -> Quote:
    """A draft quote; lines without `unit_price` are priced from the price lists. With an
    opportunity, the opportunity's amount becomes the quote's total."""
    if owner is None and getattr(actor, "is_authenticated", False):
        owner = actor
    if currency is None:
        currency = opportunity.currency if opportunity is not None else account.currency
    quote = Quote(
        account=account,
        contact=contact,
        opportunity=opportunity,
        currency=currency,
        valid_until=valid_until,
        notes=notes or "",
        owner=owner,
    )
    _check_links(quote)
    built = _priced_lines(quote, lines)
    quote.full_clean(exclude=["number"])
    quote.save()
    assign_number(quote, "Q")
    saved = replace_lines(quote, "lines", built)
    _publish("sales.quote.created", quote, saved, actor)
    _drive_opportunity(quote)
    return quote


@transaction.atomic
def quote_update(
    *,
    quote: Quote,
    lines: Sequence[Mapping[str, Any]] | None = None,
    actor: Any = None,
    **fields: Any,
) -> Quote:
    """Change a draft quote; `lines` (when given) replace all of its lines."""
    saved = update_draft(
        quote,
        fields,
        lines,
        editable=_EDITABLE,
        plural="quotes",
        function="quote_update",
        check=_check_links,
        price_lines=_priced_lines,
    )
    _publish("sales.quote.updated", quote, saved, actor)
    _drive_opportunity(quote)
    return quote


@transaction.atomic
def quote_send(*, quote: Quote, actor: Any = None) -> Quote:
    lock(quote)
    if quote.status != S.DRAFT:
        raise InvalidTransition(status=quote.status, action="send")
    _check_open(quote, "send")
    quote.status = S.SENT
    quote.sent_at = timezone.now()
    bump(quote, ["status", "sent_at"])
    _publish("sales.quote.sent", quote, actor=actor)
    return quote


def _win(opportunity: Opportunity) -> None:
    if opportunity.status == Opportunity.Status.WON:
        return
    won = (
        Stage.objects.filter(pipeline_id=opportunity.stage.pipeline_id, outcome=Stage.Outcome.WON)
        .order_by("position")
        .first()
    )
    if won is not None:
        crm.opportunity_move(opportunity=opportunity, stage=won)


@transaction.atomic
def quote_accept(*, quote: Quote, warehouse: Warehouse | None = None, actor: Any = None) -> Quote:
    """The customer said yes: a draft sales order with the quote's lines and prices, the
    quote `accepted` (pointing at it), and its opportunity won. Once only (else 409)."""
    lock(quote)
    _check_open(quote, "accept")
    lines = lines_with_products(quote, "lines")
    order = order_create(
        account=quote.account,
        contact=quote.contact,
        currency=quote.currency,
        warehouse=warehouse,
        quote=quote,
        notes=quote.notes,
        owner=quote.owner,
        actor=actor,
        lines=[
            {
                "product": line.product,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount_percent": line.discount_percent,
                "tax_rate": line.tax_rate,
            }
            for line in lines
        ],
    )
    quote.status = S.ACCEPTED
    quote.accepted_at = timezone.now()
    quote.order = order
    bump(quote, ["status", "accepted_at", "order"])
    _publish("sales.quote.accepted", quote, lines, actor)
    if quote.opportunity is not None:
        _drive_opportunity(quote)
        _win(quote.opportunity)
    return quote


@transaction.atomic
def quote_reject(*, quote: Quote, actor: Any = None) -> Quote:
    lock(quote)
    if quote.status == S.ACCEPTED:
        raise QuoteAlreadyAccepted()
    if quote.status not in (S.DRAFT, S.SENT):
        raise InvalidTransition(status=quote.status, action="reject")
    quote.status = S.REJECTED
    bump(quote, ["status"])
    _publish("sales.quote.rejected", quote, actor=actor)
    return quote


def quote_expire_overdue(*, today: dt.date | None = None) -> int:
    """Mark draft and sent quotes past their validity date `expired` (one transaction and
    event each); returns how many. Run daily with the renewal reminders."""
    today = today or timezone.localdate()
    ids = list(
        Quote.objects.filter(status__in=[S.DRAFT, S.SENT], valid_until__lt=today)
        .order_by("id")
        .values_list("id", flat=True)
    )
    expired = 0
    for pk in ids:
        with transaction.atomic():
            quote = Quote.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if quote is None or quote.status not in (S.DRAFT, S.SENT):
                continue
            quote.status = S.EXPIRED
            bump(quote, ["status"])
            _publish("sales.quote.expired", quote)
            expired += 1
    return expired
