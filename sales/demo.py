"""Sales demo data for `manage.py seed_demo`: price lists, quotes and orders in every status
for the CRM demo accounts and inventory demo products, and contracts.

Everything goes through sales.services (so events, stock reservations and the 360° view
follow), deterministically (a fixed random seed, accounts and products in a fixed order).
Each part is skipped when it exists already. With `--scale` (the CRM benchmark load) it
does nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from crm.models import Account, Opportunity, Segment
from integration.events import acting_as
from inventory.errors import InsufficientStock
from inventory.models import Product
from inventory.selectors import default_warehouse, stock_levels
from sales import services
from sales.models import Contract, PriceList, Quote, SalesOrder
from sales.rounding import money

Log = Callable[[str], None]

SEED = 5_2026
ACCOUNTS = 24
STANDARD = "Standard (EUR)"
KEY_ACCOUNTS = "Key accounts (EUR)"
ORDER_PLAN = ["draft", "confirmed", "partially_shipped", "shipped", "closed", "cancelled"] * 6
QUOTE_PLAN = ["draft", "sent", "accepted", "rejected", "expired"] * 4
D = Decimal


def seed(*, scale: int | None, log: Log) -> None:
    if scale is not None:
        log("Scale mode: no sales demo data (the benchmark load is CRM only).")
        return
    accounts = list(Account.objects.order_by("name", "id")[:ACCOUNTS])
    products = list(Product.objects.filter(active=True).order_by("sku"))
    warehouse = default_warehouse()
    if not accounts or not products or warehouse is None:
        log("No demo accounts, products or warehouse: sales demo skipped.")
        return
    actor = get_user_model()._default_manager.filter(username="sales").first()
    rng = random.Random(SEED)  # noqa: S311 -- demo data, not secrets
    with acting_as(actor):
        _price_lists(products, log)
        _quotes(rng, accounts, products, actor, log)
        _orders(rng, accounts, products, actor, log)
        _contracts(rng, accounts, actor, log)


def _price_lists(products: list[Product], log: Log) -> None:
    if PriceList.objects.filter(name=STANDARD).exists():
        log("Price lists already present.")
        return
    listed = [p for p in products if p.currency == "EUR"][:40]
    items = []
    for product in listed:
        items += [
            {"product": product, "min_quantity": D("1"), "unit_price": product.sales_price},
            {
                "product": product,
                "min_quantity": D("10"),
                "unit_price": money(product.sales_price * D("0.95")),
            },
            {
                "product": product,
                "min_quantity": D("50"),
                "unit_price": money(product.sales_price * D("0.90")),
            },
        ]
    services.price_list_create(name=STANDARD, currency="EUR", is_default=True, items=items)
    made = 1
    segment = Segment.objects.filter(criteria__has_key="tag").order_by("name").first()
    if segment is not None:
        services.price_list_create(
            name=KEY_ACCOUNTS,
            currency="EUR",
            segment=segment,
            items=[
                {
                    "product": product,
                    "min_quantity": D("1"),
                    "unit_price": money(product.sales_price * D("0.85")),
                }
                for product in listed[:20]
            ],
        )
        made += 1
    log(f"{made} price lists.")


def _lines(rng: random.Random, products: list[Product], count: int, *, most: int = 4) -> list[dict]:
    chosen = rng.sample(products, k=min(count, len(products)))
    return [
        {
            "product": product,
            "quantity": D(rng.randint(1, most)),
            "discount_percent": D(rng.choice([0, 0, 0, 5, 10])),
        }
        for product in chosen
    ]


def _quotes(rng: random.Random, accounts, products, actor, log: Log) -> None:
    if Quote.objects.exists():
        log("Quotes already present.")
        return
    today = timezone.localdate()
    counts: dict[str, int] = {}
    for index, status in enumerate(QUOTE_PLAN):
        account = accounts[index % len(accounts)]
        opportunity = (
            Opportunity.objects.filter(account=account, status=Opportunity.Status.OPEN)
            .order_by("id")
            .first()
            if status in ("accepted", "sent")
            else None
        )
        valid_until = today + dt.timedelta(days=30)
        if status == "expired":
            valid_until = today - dt.timedelta(days=rng.randint(1, 20))
        quote = services.quote_create(
            account=account,
            contact=account.contacts.order_by("id").first(),
            opportunity=opportunity,
            lines=_lines(rng, products, rng.randint(1, 3)),
            valid_until=valid_until,
            actor=actor,
        )
        if status in ("sent", "accepted", "rejected"):
            quote = services.quote_send(quote=quote, actor=actor)
        if status == "accepted":
            services.quote_accept(quote=quote, actor=actor)
        elif status == "rejected":
            services.quote_reject(quote=quote, actor=actor)
        counts[status] = counts.get(status, 0) + 1
    counts["expired"] = services.quote_expire_overdue(today=today)
    log(f"{len(QUOTE_PLAN)} quotes: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))


def _in_stock(products: list[Product]) -> list[Product]:
    levels = stock_levels(product_ids=[p.pk for p in products])
    return [p for p in products if not p.tracked or levels[p.pk].available >= 10]


def _orders(rng: random.Random, accounts, products, actor, log: Log) -> None:
    if SalesOrder.objects.filter(quote__isnull=True).exists():
        log("Orders already present.")
        return
    stocked = _in_stock(products) or products
    short = 0
    statuses: dict[str, int] = {}
    for index, status in enumerate(ORDER_PLAN):
        account = accounts[(index * 7) % len(accounts)]
        order = services.order_create(
            account=account,
            contact=account.contacts.order_by("id").first(),
            lines=_lines(rng, stocked, 2 if status == "partially_shipped" else rng.randint(1, 3)),
            actor=actor,
        )
        if status != "draft":
            try:
                with transaction.atomic():
                    order = services.order_confirm(order=order, actor=actor)
            except InsufficientStock:
                short += 1
                statuses["draft"] = statuses.get("draft", 0) + 1
                continue
        if status == "partially_shipped":
            first = order.lines.order_by("position").first()
            order = services.order_ship(
                order=order, lines=[{"line": first, "quantity": first.quantity}], actor=actor
            )
        elif status in ("shipped", "closed"):
            order = services.order_ship(order=order, actor=actor)
            if status == "closed":
                order = services.order_close(order=order, actor=actor)
        elif status == "cancelled":
            order = services.order_cancel(order=order, actor=actor)
        statuses[order.status] = statuses.get(order.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    log(f"{len(ORDER_PLAN)} orders: {summary}" + (f" ({short} short of stock)" if short else ""))


def _contracts(rng: random.Random, accounts, actor, log: Log) -> None:
    if Contract.objects.exists():
        log("Contracts already present.")
        return
    today = timezone.localdate()
    titles = ["Support and maintenance", "Software licence", "Service level agreement"]
    made = []
    for index, account in enumerate(accounts[:12]):
        # Ends spread from 20 days ago to ten months ahead: some due for renewal now.
        end = today + dt.timedelta(days=-20 + index * 25)
        start = end - dt.timedelta(days=365)
        contract = services.contract_create(
            account=account,
            title=titles[index % len(titles)],
            start_date=start,
            end_date=end,
            value=D(rng.randrange(1_000, 50_000, 500)),
            renewal_terms="Renews for 12 months unless notice is given 30 days before the end.",
            auto_renew=index % 2 == 0,
            actor=actor,
        )
        if end < today:
            services.contract_end(contract=contract, actor=actor)
        made.append(contract)
    reminded = services.contract_remind_renewals(today=today)
    log(f"{len(made)} contracts, {len(reminded)} due for renewal.")
