"""The 360° view's sales part: orders, quotes and contracts built from sales.* event payloads.

The events here are written by hand (validated against the published schemas), so these
tests pin the view to the event contract alone; tests/sales cover the services end to end.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crm import services as crm_services
from integration.customer_view import apply_events, top_products
from integration.events import get_event_type
from integration.models import (
    CustomerContract,
    CustomerOrder,
    CustomerQuote,
    CustomerView,
    Event,
)
from sales import services as sales
from tests.factories.sales import make_account, make_order, make_product
from tests.integration.customer_helpers import apply_one_by_one, crm_events

pytestmark = pytest.mark.django_db

_ids = itertools.count(1)


def _line(product_id: int, quantity: str, unit_price: str, *, shipped: str = "0.000") -> dict:
    total = (Decimal(quantity) * Decimal(unit_price)).quantize(Decimal("0.01"))
    return {
        "line_id": next(_ids),
        "product_id": product_id,
        "sku": f"SKU-{product_id}",
        "name": f"Product {product_id}",
        "quantity": quantity,
        "quantity_shipped": shipped,
        "unit_price": unit_price,
        "discount_percent": "0.00",
        "tax_rate": "0.00",
        "line_total": str(total),
    }


def _event(event_type: str, subject_type: str, subject_id: int, version: int, data: dict) -> Event:
    errors = list(get_event_type(event_type).validator.iter_errors(data))
    assert not errors, errors
    return Event.objects.create(
        type=event_type,
        customer_id=data["account_id"],
        subject_type=subject_type,
        subject_id=str(subject_id),
        subject_version=version,
        data=data,
    )


def order_event(
    verb: str,
    *,
    order_id: int,
    account_id: int,
    version: int,
    status: str,
    lines: list[dict],
    confirmed_at: str | None = None,
    currency: str = "EUR",
) -> Event:
    total = sum((Decimal(line["line_total"]) for line in lines), Decimal("0.00"))
    data = {
        "order_id": order_id,
        "number": f"SO-{order_id:06d}",
        "account_id": account_id,
        "status": status,
        "currency": currency,
        "subtotal": str(total),
        "tax_total": "0.00",
        "total": str(total),
        "confirmed_at": confirmed_at,
        "lines": lines,
    }
    if verb == "shipped":
        data["shipment"] = {
            "lines": [
                {"product_id": line["product_id"], "sku": line["sku"], "quantity": line["quantity"]}
                for line in lines
            ]
        }
    return _event(f"sales.order.{verb}", "sales.salesorder", order_id, version, data)


def order_history(account_id: int, base: int = 100) -> dict[str, int]:
    """Orders of one customer in every status, each told by its whole event history
    (ids base+1 … base+4)."""
    t1, t2, t3 = (f"2026-11-{day}T10:00:00+00:00" for day in (10, 12, 14))
    a = [_line(1, "2.000", "10.00"), _line(2, "1.000", "99.90")]
    order_event(
        "created", order_id=base + 1, account_id=account_id, version=1, status="draft", lines=a
    )
    order_event(
        "confirmed", order_id=base + 1, account_id=account_id, version=2, status="confirmed",
        lines=a, confirmed_at=t1,
    )  # fmt: skip
    b = [_line(1, "3.000", "10.00"), _line(3, "5.000", "1.00")]
    order_event(
        "created", order_id=base + 2, account_id=account_id, version=1, status="draft", lines=b
    )
    order_event(
        "confirmed", order_id=base + 2, account_id=account_id, version=2, status="confirmed",
        lines=b, confirmed_at=t2,
    )  # fmt: skip
    shipped = [
        _line(1, "3.000", "10.00", shipped="3.000"),
        _line(3, "5.000", "1.00", shipped="5.000"),
    ]
    order_event(
        "shipped", order_id=base + 2, account_id=account_id, version=3, status="shipped",
        lines=shipped, confirmed_at=t2,
    )  # fmt: skip
    # A draft and a cancelled order count for nothing.
    order_event(
        "created", order_id=base + 3, account_id=account_id, version=1, status="draft",
        lines=[_line(4, "100.000", "1.00")],
    )  # fmt: skip
    c = [_line(5, "50.000", "2.00")]
    order_event(
        "created", order_id=base + 4, account_id=account_id, version=1, status="draft", lines=c
    )
    order_event(
        "confirmed", order_id=base + 4, account_id=account_id, version=2, status="confirmed",
        lines=c, confirmed_at=t3,
    )  # fmt: skip
    order_event(
        "cancelled", order_id=base + 4, account_id=account_id, version=3, status="cancelled",
        lines=c, confirmed_at=t3,
    )  # fmt: skip
    return {"confirmed": base + 1, "shipped": base + 2, "draft": base + 3, "cancelled": base + 4}


def sales_events() -> list[Event]:
    return list(Event.objects.filter(type__startswith="sales.").order_by("seq"))


def snapshot() -> dict:
    return {
        "customers": list(
            CustomerView.objects.order_by("pk").values(
                "pk",
                "orders_count",
                "orders_total",
                "open_orders_count",
                "last_order_at",
                "top_products",
                "last_event_at",
            )
        ),
        "orders": list(CustomerOrder.objects.order_by("pk").values()),
        "quotes": list(CustomerQuote.objects.order_by("pk").values()),
        "contracts": list(CustomerContract.objects.order_by("pk").values()),
    }


def clear_view() -> None:
    for model in (CustomerView, CustomerOrder, CustomerQuote, CustomerContract):
        model.objects.all().delete()


def quote_and_contract(account_id: int) -> None:
    quote = {
        "quote_id": 7,
        "number": "Q-000007",
        "account_id": account_id,
        "contact_id": None,
        "opportunity_id": None,
        "status": "draft",
        "currency": "EUR",
        "subtotal": "20.00",
        "tax_total": "0.00",
        "total": "20.00",
        "valid_until": "2026-12-31",
        "order_id": None,
        "lines": [],
    }
    _event("sales.quote.created", "sales.quote", 7, 1, quote)
    _event("sales.quote.sent", "sales.quote", 7, 2, {**quote, "status": "sent"})
    contract = {
        "contract_id": 3,
        "number": "C-000003",
        "account_id": account_id,
        "title": "Support 2027",
        "status": "active",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "value": "1200.00",
        "currency": "EUR",
        "auto_renew": True,
    }
    _event("sales.contract.created", "sales.contract", 3, 1, contract)


def test_orders_count_once_confirmed_and_drafts_and_cancelled_do_not():
    ids = order_history(account_id=42)

    apply_one_by_one(sales_events())

    view = CustomerView.objects.get(pk=42)
    assert view.orders_count == 2
    assert view.orders_total == Decimal("154.90")  # 20.00 + 99.90 + 30.00 + 5.00
    assert view.open_orders_count == 1  # 101 is confirmed; 102 shipped
    assert view.last_order_at.isoformat() == "2026-11-12T10:00:00+00:00"
    assert view.top_products == [
        {
            "product_id": 1,
            "sku": "SKU-1",
            "name": "Product 1",
            "quantity": "5.000",
            "total": "50.00",
        },
        {
            "product_id": 3,
            "sku": "SKU-3",
            "name": "Product 3",
            "quantity": "5.000",
            "total": "5.00",
        },
        {
            "product_id": 2,
            "sku": "SKU-2",
            "name": "Product 2",
            "quantity": "1.000",
            "total": "99.90",
        },
    ]
    statuses = dict(CustomerOrder.objects.values_list("pk", "status"))
    assert statuses == {
        ids["confirmed"]: "confirmed",
        ids["shipped"]: "shipped",
        ids["draft"]: "draft",
        ids["cancelled"]: "cancelled",
    }
    shipped = CustomerOrder.objects.get(pk=ids["shipped"])
    assert [line["quantity_shipped"] for line in shipped.lines] == ["3.000", "5.000"]


def test_sales_events_applied_twice_or_out_of_order_give_the_same_view():
    order_history(account_id=42)
    order_history(account_id=43, base=200)
    quote_and_contract(account_id=42)
    events = sales_events()
    apply_one_by_one(events)
    expected = snapshot()

    apply_one_by_one(events)
    assert snapshot() == expected

    clear_view()
    apply_one_by_one(list(reversed(events)))
    assert snapshot() == expected

    clear_view()
    apply_events(list(reversed(events)))
    assert snapshot() == expected

    # Every second event first, then the rest
    clear_view()
    apply_one_by_one(events[1::2] + events[::2])
    assert snapshot() == expected


def test_a_late_confirmed_event_does_not_revive_a_cancelled_order():
    ids = order_history(account_id=42)
    cancelled = [e for e in sales_events() if e.subject_id == str(ids["cancelled"])]
    created, confirmed, cancel = cancelled

    apply_events([cancel])
    apply_events([confirmed])
    apply_events([created])

    assert CustomerOrder.objects.get(pk=ids["cancelled"]).status == "cancelled"
    view = CustomerView.objects.get(pk=42)
    assert (view.orders_count, view.orders_total, view.top_products) == (0, Decimal("0.00"), [])


def test_quotes_and_contracts_are_projected():
    quote_and_contract(account_id=42)

    apply_one_by_one(sales_events())

    quote = CustomerQuote.objects.get(pk=7)
    assert (quote.number, quote.status, quote.total) == ("Q-000007", "sent", Decimal("20.00"))
    contract = CustomerContract.objects.get(pk=3)
    assert (contract.title, contract.value, contract.auto_renew) == (
        "Support 2027",
        Decimal("1200.00"),
        True,
    )
    assert CustomerView.objects.get(pk=42).last_event_at is not None


def test_top_products_are_five_by_quantity_ties_to_the_lower_id_newest_name():
    def line(product_id, sku, quantity, total):
        return {"product_id": product_id, "sku": sku, "name": sku[:3], "quantity": quantity,
                "line_total": total}  # fmt: skip

    orders = [
        (1, [line(p, f"old-{p}", "1", "1") for p in range(1, 8)]),
        (2, [line(6, "new-6", "2.5", "3")]),
    ]

    ranked = top_products(orders)

    assert [p["product_id"] for p in ranked] == [6, 1, 2, 3, 4]
    assert ranked[0] == {
        "product_id": 6,
        "sku": "new-6",
        "name": "new",
        "quantity": "3.500",
        "total": "4.00",
    }


def test_rebuild_from_the_log_equals_the_live_view():
    order_history(account_id=42)
    quote_and_contract(account_id=43)
    apply_one_by_one(sales_events())
    live = snapshot()

    call_command("rebuild_customer_view", "--batch-size", "3", stdout=StringIO())

    assert snapshot() == live


def test_a_merged_account_brings_its_orders_to_the_survivor():
    acme = crm_services.account_create(name="Acme Oy")
    dup = crm_services.account_create(name="Acme Duplicate")
    order_history(account_id=dup.pk)
    apply_one_by_one(crm_events() + sales_events())

    crm_services.account_merge(into=acme, duplicate=dup)
    apply_one_by_one(crm_events()[-2:])

    view = CustomerView.objects.get(pk=acme.pk)
    assert (view.orders_count, view.orders_total) == (2, Decimal("154.90"))
    assert CustomerOrder.objects.filter(account_id=acme.pk).count() == 4


def test_customer_page_and_api_show_orders_top_products_and_sales_timeline(sales_client):
    acme = crm_services.account_create(name="Acme Oy")
    order_history(account_id=acme.pk)
    quote_and_contract(account_id=acme.pk)
    apply_one_by_one(crm_events() + sales_events())

    html = sales_client.get(f"/customers/{acme.pk}/").content.decode()

    orders = html.split('data-testid="customer-orders"')[1].split("</ul>")[0]
    assert 'href="/sales/orders/101/"' in orders
    assert "SO-000104" in orders  # the recent orders list shows every status
    top = html.split('data-testid="customer-top-products"')[1].split("</table>")[0]
    assert "SKU-1" in top
    assert "5.000" in top
    assert 'data-figure="orders_count">2<' in html
    assert 'data-figure="open_orders_count">1<' in html
    assert 'href="/sales/quotes/7/"' in html
    assert "Support 2027" in html
    timeline = html.split('data-testid="customer-timeline"')[1]
    assert "sales.order.shipped" in timeline
    assert "SO-000102 · 35.00 EUR · 2 product(s) shipped" in timeline
    assert 'href="/sales/contracts/3/"' in timeline

    body = sales_client.get(f"/api/v1/integration/customers/{acme.pk}/").json()
    assert body["orders_count"] == 2
    assert body["orders_total"] == "154.90"
    assert body["open_orders_count"] == 1
    assert body["top_products"][0] == {
        "product_id": 1,
        "sku": "SKU-1",
        "name": "Product 1",
        "quantity": "5.000",
        "total": "50.00",
    }


# ---------------------------------------------------------------- against sales' own tables


def _sales_story() -> dict:
    """Orders in every status, a quote and a contract, told through sales.services."""
    acme = make_account("Acme Oy")
    beta = make_account("Beta Ab")
    widget = make_product(stock=100, price="10.00", tax_rate="24.00", name="Widget")
    gadget = make_product(stock=100, price="2.50", name="Gadget")
    shipped = make_order(acme, (widget, "3"), (gadget, "4"))
    sales.order_confirm(order=shipped)
    sales.order_ship(order=shipped)
    partial = make_order(acme, (widget, "2"))
    sales.order_confirm(order=partial)
    line = partial.lines.get()
    sales.order_ship(order=partial, lines=[{"line": line, "quantity": Decimal("1")}])
    make_order(acme, (gadget, "50"))  # a draft
    cancelled = make_order(acme, (widget, "9"))
    sales.order_confirm(order=cancelled)
    sales.order_cancel(order=cancelled)
    sales.order_confirm(order=make_order(beta, (gadget, "1")))
    sales.quote_create(account=acme, lines=[{"product": widget, "quantity": Decimal("1")}])
    sales.contract_create(
        account=acme,
        title="Support",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    return {"acme": acme, "beta": beta, "widget": widget, "gadget": gadget}


def _all_events() -> list[Event]:
    return list(Event.objects.order_by("txid", "seq"))


def test_the_view_of_real_sales_matches_the_sales_tables_and_the_check_is_clean():
    story = _sales_story()
    apply_one_by_one(_all_events())

    view = CustomerView.objects.get(pk=story["acme"].pk)
    # shipped: 3 x 10.00 + 24 % tax = 37.20, + 4 x 2.50 = 10.00; partial: 2 x 12.40 = 24.80
    assert (view.orders_count, view.open_orders_count) == (2, 1)
    assert view.orders_total == Decimal("72.00")
    assert [(p["sku"], p["quantity"], p["total"]) for p in view.top_products] == [
        (story["widget"].sku, "5.000", "50.00"),
        (story["gadget"].sku, "4.000", "10.00"),
    ]
    out = StringIO()
    call_command("check_customer_view", stdout=out)
    assert "matches" in out.getvalue()

    live = snapshot()
    call_command("rebuild_customer_view", stdout=StringIO())
    assert snapshot() == live


def test_check_finds_a_planted_drift_in_the_order_figures():
    story = _sales_story()
    apply_one_by_one(_all_events())
    acme, beta = story["acme"].pk, story["beta"].pk
    CustomerView.objects.filter(pk=acme).update(orders_total=Decimal("1.00"), top_products=[])
    CustomerView.objects.filter(pk=beta).update(open_orders_count=0)

    out = StringIO()
    with pytest.raises(CommandError, match="3 drift"):
        call_command("check_customer_view", stdout=out)

    listed = out.getvalue()
    assert f"account {acme}: orders_total: view=1.00 sales=72.00" in listed
    assert f"account {acme}: top_products: view=[] sales=" in listed
    assert f"account {beta}: open_orders_count: view=0 sales=1" in listed


def test_an_order_in_another_currency_is_summed_on_its_own():
    acme = make_account("Acme Oy", currency="EUR")
    widget = make_product(stock=100, price="10.00", name="Widget")
    sales.order_confirm(order=make_order(acme, (widget, "2")))
    sales.order_confirm(order=make_order(acme, (widget, "3"), currency="USD"))
    apply_one_by_one(_all_events())

    view = CustomerView.objects.get(pk=acme.pk)
    assert view.orders_count == 2
    assert view.orders_total == Decimal("20.00")  # in EUR, the customer's currency
    assert view.orders_total_by_currency == {"EUR": "20.00", "USD": "30.00"}
    out = StringIO()
    call_command("check_customer_view", stdout=out)
    assert "matches" in out.getvalue()
