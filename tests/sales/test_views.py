"""Sales pages: dashboard, quote editor (live totals), quote/order/contract lists and details,
order actions with stock problems shown inline (409), and who may see and do what."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm import services as crm
from inventory.selectors import stock_levels
from sales import services
from sales.models import Contract, Quote, SalesOrder
from tests.factories.sales import make_account, make_order, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_two_factor_policy(settings):
    settings.TANDEM_MFA_REQUIRED_ROLES = []


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def seller(make_user):
    return client_for(make_user(roles=["Sales"], username="sally"))


@pytest.fixture
def manager(make_user):
    return client_for(make_user(roles=["Manager"], username="meg"))


@pytest.fixture
def acme(db):
    return make_account("Acme Oy")


@pytest.fixture
def widget(db):
    return make_product(stock=10, price="10.00", tax_rate="24.00", name="Widget", sku="W-1")


def line_data(*lines: dict, prefix: str = "lines") -> dict:
    """A posted line formset: lines as dicts of LineForm fields."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(lines)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate(lines):
        for name, value in line.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def no_inline_code(html: str) -> None:
    """The CSP allows no inline script or style (JSON data blocks are not scripts)."""
    assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", html)
    assert 'style="' not in html
    assert "<style" not in html


# ---------------------------------------------------------------- dashboard and permissions


def test_dashboard_shows_this_months_orders_revenue_chart_and_tops(seller, acme, widget):
    order = make_order(acme, (widget, "2"))
    services.order_confirm(order=order)

    response = seller.get("/sales/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="orders-this-month">1<' in html
    assert "24.80" in html  # 2 x 10.00 + 24 % tax
    assert 'id="revenue-data"' in html
    assert 'data-chart="revenue"' in html
    assert "Acme Oy" in html.split('data-testid="top-customers"')[1]
    assert "W-1" in html.split('data-testid="top-products"')[1]
    no_inline_code(html)


def test_dashboard_is_for_sales_and_managers_only(make_user, manager):
    assert manager.get("/sales/").status_code == 200
    for role in ("Marketing", "Support", "Warehouse"):
        client = client_for(make_user(roles=[role]))
        assert client.get("/sales/").status_code == 403, role
        assert client.get("/sales/orders/").status_code == 403, role


def test_a_manager_reads_but_cannot_act(manager, acme, widget):
    order = make_order(acme, (widget, "1"))

    assert manager.get(f"/sales/orders/{order.pk}/").status_code == 200
    assert manager.post(f"/sales/orders/{order.pk}/confirm/").status_code == 403
    assert manager.get("/sales/quotes/new/").status_code == 403
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.DRAFT


# ---------------------------------------------------------------- quote editor


def test_quote_editor_creates_a_quote_with_its_lines(seller, acme, widget):
    gadget = make_product(price="2.50", name="Gadget")
    page = seller.get("/sales/quotes/new/")
    assert page.status_code == 200
    assert 'data-testid="line-row"' in page.content.decode()
    no_inline_code(page.content.decode())

    response = seller.post(
        "/sales/quotes/new/",
        {
            "account": acme.pk,
            "valid_until": "2030-01-31",
            **line_data(
                {"product": widget.pk, "quantity": "2"},
                {
                    "product": gadget.pk,
                    "quantity": "4",
                    "unit_price": "2.00",
                    "discount_percent": "10",
                },
            ),
        },
    )

    quote = Quote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sales/quotes/{quote.pk}/"
    assert (quote.subtotal, quote.tax_total, quote.total) == (
        Decimal("27.20"),  # 20.00 + 4 x 2.00 - 10 %
        Decimal("4.80"),
        Decimal("32.00"),
    )
    assert [line.product_id for line in quote.lines.order_by("position")] == [widget.pk, gadget.pk]


def test_quote_editor_shows_errors_next_to_the_lines_and_saves_nothing(seller, acme, widget):
    response = seller.post(
        "/sales/quotes/new/",
        {"account": acme.pk, **line_data({"product": widget.pk, "quantity": "-1"})},
    )
    assert response.status_code == 200
    assert 'data-testid="field-error"' in response.content.decode()

    empty = seller.post("/sales/quotes/new/", {"account": acme.pk, **line_data()})
    assert "Add at least one line." in empty.content.decode()
    assert not Quote.objects.exists()


def test_live_totals_price_the_lines_as_saving_will(seller, acme, widget):
    response = seller.post(
        "/sales/lines/totals/",
        {
            "account": acme.pk,
            **line_data(
                {"product": widget.pk, "quantity": "3"},
                {"product": widget.pk, "quantity": "abc"},  # incomplete: no amount yet
                {"product": widget.pk, "quantity": "1", "DELETE": "on"},
            ),
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="subtotal">30.00 EUR<' in html
    assert 'data-testid="tax-total">7.20 EUR<' in html
    assert 'data-testid="total">37.20 EUR<' in html
    assert 'id="lines-0-total"' in html
    assert 'hx-swap-oob="true"' in html
    assert "@ 10.00" in html  # the unit price the price list gave


def test_adding_a_line_returns_the_next_row_and_raises_the_form_count(seller):
    response = seller.post("/sales/lines/new/", line_data({}, {}))

    html = response.content.decode()
    assert 'name="lines-2-quantity"' in html
    assert 'id="id_lines-TOTAL_FORMS" value="3" hx-swap-oob="true"' in html


def test_product_lookup_finds_active_products_by_sku_or_name(seller, widget):
    make_product(name="Retired thing", active=False)

    html = seller.get("/sales/lookups/products/", {"q": "widg"}).content.decode()

    assert f'<option value="{widget.pk}">W-1 · Widget</option>' in html
    assert (
        "Retired" not in seller.get("/sales/lookups/products/", {"q": "retired"}).content.decode()
    )


def test_a_quote_is_started_from_an_opportunity_page(seller, acme, widget):
    opportunity = crm.opportunity_create(account=acme, name="Pilot", amount=Decimal("1.00"))
    detail = seller.get(f"/crm/opportunities/{opportunity.pk}/").content.decode()
    assert f'href="/sales/quotes/new/?opportunity={opportunity.pk}"' in detail

    page = seller.get(f"/sales/quotes/new/?opportunity={opportunity.pk}")
    assert "New quote for Pilot" in page.content.decode()
    response = seller.post(
        f"/sales/quotes/new/?opportunity={opportunity.pk}",
        {"opportunity": opportunity.pk, **line_data({"product": widget.pk, "quantity": "5"})},
    )

    assert response.status_code == 302
    quote = Quote.objects.get()
    assert (quote.account_id, quote.opportunity_id) == (acme.pk, opportunity.pk)
    opportunity.refresh_from_db()
    assert opportunity.amount == Decimal("62.00")  # the quote drives the opportunity's amount


def test_editing_a_draft_quote_replaces_its_lines(seller, acme, widget):
    quote = services.quote_create(account=acme, lines=[{"product": widget, "quantity": 1}])
    page = seller.get(f"/sales/quotes/{quote.pk}/edit/").content.decode()
    assert 'name="lines-0-quantity"' in page
    data = line_data({"product": widget.pk, "quantity": "7"})
    data["lines-INITIAL_FORMS"] = "1"

    response = seller.post(f"/sales/quotes/{quote.pk}/edit/", {"notes": "Rush", **data})

    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.notes, quote.subtotal) == ("Rush", Decimal("70.00"))


# ---------------------------------------------------------------- quote detail and actions


def test_quote_detail_and_printable_rendering(seller, acme, widget):
    quote = services.quote_create(account=acme, lines=[{"product": widget, "quantity": 2}])

    detail = seller.get(f"/sales/quotes/{quote.pk}/").content.decode()
    printed = seller.get(f"/sales/quotes/{quote.pk}/print/").content.decode()

    assert quote.number in detail
    assert 'data-testid="accept"' in detail
    assert 'href="/static/css/print.css" media="print"' in detail
    assert 'data-testid="printed-quote"' in printed
    assert "24.80 EUR" in printed
    assert "Acme Oy" in printed
    assert 'class="navbar' not in printed
    no_inline_code(detail)
    no_inline_code(printed)


def test_send_then_accept_makes_an_order_and_opens_it(seller, acme, widget):
    quote = services.quote_create(account=acme, lines=[{"product": widget, "quantity": 2}])

    assert seller.post(f"/sales/quotes/{quote.pk}/send/").status_code == 302
    response = seller.post(f"/sales/quotes/{quote.pk}/accept/")

    quote.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED
    assert response["Location"] == f"/sales/orders/{quote.order_id}/"
    again = seller.post(f"/sales/quotes/{quote.pk}/accept/", follow=True)
    assert "already been accepted" in again.content.decode()


def test_reject_a_quote(seller, acme, widget):
    quote = services.quote_create(account=acme, lines=[{"product": widget, "quantity": 2}])

    seller.post(f"/sales/quotes/{quote.pk}/reject/")

    quote.refresh_from_db()
    assert quote.status == Quote.Status.REJECTED
    html = seller.get(f"/sales/quotes/{quote.pk}/").content.decode()
    assert 'data-testid="accept"' not in html


# ---------------------------------------------------------------- lists


def _quote(account, product):
    return services.quote_create(account=account, lines=[{"product": product, "quantity": 1}])


@pytest.mark.parametrize(
    ("url", "make"),
    [("/sales/quotes/", _quote), ("/sales/orders/", lambda a, p: make_order(a, (p, "1")))],
)
def test_lists_search_filter_and_do_not_grow_queries_with_rows(seller, acme, widget, url, make):
    beta = make_account("Beta Ab")
    make(acme, widget)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert seller.get(url).status_code == 200
        return len(queries)

    few = count_queries()
    for _ in range(5):
        make(beta, widget)
    assert count_queries() <= few

    html = seller.get(url, {"q": "Beta"}).content.decode()
    assert 'data-testid="list-count">5 results<' in html
    drafts = seller.get(url, {"status": "draft"}).content.decode()
    assert 'data-testid="list-count">6 results<' in drafts
    assert (
        "No "
        in seller.get(url, {"status": "rejected" if "quotes" in url else "closed"}).content.decode()
    )
    csv = seller.get(url, {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")


def test_order_list_filters_by_confirmation_date(seller, acme, widget):
    services.order_confirm(order=make_order(acme, (widget, "1")))
    make_order(acme, (widget, "1"))
    today = timezone.localdate().isoformat()

    html = seller.get("/sales/orders/", {"confirmed_from": today, "confirmed_to": today}).content
    assert 'data-testid="list-count">1 result<' in html.decode()


# ---------------------------------------------------------------- orders


def test_order_create_form_makes_a_draft(seller, acme, widget):
    assert seller.get("/sales/orders/new/").status_code == 200

    response = seller.post(
        "/sales/orders/new/",
        {"account": acme.pk, **line_data({"product": widget.pk, "quantity": "2"})},
    )

    order = SalesOrder.objects.get()
    assert response["Location"] == f"/sales/orders/{order.pk}/"
    assert (order.status, order.total) == (SalesOrder.Status.DRAFT, Decimal("24.80"))


def test_order_detail_shows_lines_with_stock_and_the_actions_of_its_status(seller, acme, widget):
    order = make_order(acme, (widget, "2"))

    html = seller.get(f"/sales/orders/{order.pk}/").content.decode()

    assert 'data-testid="confirm"' in html
    assert 'data-testid="ship"' not in html
    assert 'data-testid="line-available">10<' in html
    no_inline_code(html)


def test_confirm_with_too_little_stock_answers_409_listing_each_short_product(seller, acme, widget):
    gadget = make_product(stock=1, name="Gadget", sku="G-1")
    order = make_order(acme, (widget, "12"), (gadget, "3"))

    response = seller.post(f"/sales/orders/{order.pk}/confirm/")

    assert response.status_code == 409
    html = response.content.decode()
    problems = html.split('data-testid="stock-problems"')[1].split("</ul>")[0]
    assert "W-1" in problems
    assert "requested 12.000, available 10.000" in problems
    assert "G-1" in problems
    assert "requested 3.000, available 1.000" in problems
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.DRAFT
    assert stock_levels(product_ids=[widget.pk])[widget.pk].reserved == 0


def test_confirm_ship_partly_ship_the_rest_and_stock_follows(seller, acme, widget):
    order = make_order(acme, (widget, "4"))
    line = order.lines.get()

    assert seller.post(f"/sales/orders/{order.pk}/confirm/").status_code == 302
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.CONFIRMED
    assert (
        seller.post(f"/sales/orders/{order.pk}/ship/", {f"ship-{line.pk}": "1"}).status_code == 302
    )
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.PARTIALLY_SHIPPED
    too_many = seller.post(f"/sales/orders/{order.pk}/ship/", {f"ship-{line.pk}": "9"})
    assert too_many.status_code == 400
    assert seller.post(f"/sales/orders/{order.pk}/ship/", {}).status_code == 302

    order.refresh_from_db()
    assert order.status == SalesOrder.Status.SHIPPED
    level = stock_levels(product_ids=[widget.pk])[widget.pk]
    assert (level.on_hand, level.reserved) == (Decimal("6.000"), Decimal("0.000"))
    html = seller.get(f"/sales/orders/{order.pk}/").content.decode()
    assert 'data-testid="close"' in html
    assert 'data-testid="cancel"' not in html


def test_cancel_releases_the_reservation_and_a_second_cancel_is_a_message(seller, acme, widget):
    order = make_order(acme, (widget, "4"))
    services.order_confirm(order=order)

    seller.post(f"/sales/orders/{order.pk}/cancel/")
    again = seller.post(f"/sales/orders/{order.pk}/cancel/", follow=True)

    order.refresh_from_db()
    assert order.status == SalesOrder.Status.CANCELLED
    assert stock_levels(product_ids=[widget.pk])[widget.pk].reserved == 0
    assert "Cannot cancel" in again.content.decode()


def test_only_drafts_are_edited(seller, acme, widget):
    order = make_order(acme, (widget, "1"))
    assert seller.get(f"/sales/orders/{order.pk}/edit/").status_code == 200
    services.order_confirm(order=order)

    response = seller.get(f"/sales/orders/{order.pk}/edit/")

    assert response.status_code == 302
    assert response["Location"] == f"/sales/orders/{order.pk}/"


# ---------------------------------------------------------------- contracts


def test_contract_create_list_detail_edit_and_end(seller, acme):
    response = seller.post(
        "/sales/contracts/new/",
        {
            "account": acme.pk,
            "title": "Support 2027",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "value": "1200.00",
            "auto_renew": "on",
        },
    )
    contract = Contract.objects.get()
    assert response["Location"] == f"/sales/contracts/{contract.pk}/"
    assert contract.currency == acme.currency

    assert "Support 2027" in seller.get("/sales/contracts/").content.decode()
    assert "1,200.00" in seller.get(f"/sales/contracts/{contract.pk}/").content.decode()
    edited = seller.post(
        f"/sales/contracts/{contract.pk}/edit/",
        {
            "title": "Support 2027+",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "value": "1500.00",
            "currency": "eur",
        },
    )
    assert edited.status_code == 302
    contract.refresh_from_db()
    assert (contract.title, contract.value, contract.auto_renew) == (
        "Support 2027+",
        Decimal("1500.00"),
        False,
    )
    seller.post(f"/sales/contracts/{contract.pk}/end/")
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ENDED


def test_contract_form_refuses_an_end_before_the_start(seller, acme):
    response = seller.post(
        "/sales/contracts/new/",
        {
            "account": acme.pk,
            "title": "Backwards",
            "start_date": "2027-02-01",
            "end_date": "2027-01-01",
        },
    )

    assert response.status_code == 200
    assert "cannot end before it starts" in response.content.decode()
    assert not Contract.objects.exists()
