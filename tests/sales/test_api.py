"""The sales REST API: the integrator's shortest path, actions, bad input, roles, query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm import services as crm
from integration.services import api_token_create
from inventory.selectors import stock_levels
from sales import services
from sales.models import Contract, Quote, SalesOrder
from tests.factories.sales import make_account, make_order, make_product

pytestmark = pytest.mark.django_db

API = "/api/v1/sales/"
D = Decimal


def bearer(user, scopes=("sales:write",)) -> APIClient:
    _, raw = api_token_create(user=user, name="t", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def seller(make_user):
    return make_user(roles=["Sales"])


@pytest.fixture
def api(seller) -> APIClient:
    return bearer(seller)


@pytest.fixture
def manager(make_user) -> APIClient:
    return bearer(make_user(roles=["Manager"]), ["*"])


@pytest.fixture
def product(warehouse):
    return make_product(stock=10, price="10.00", tax_rate="24.00")


def levels(product):
    stock = stock_levels(product_ids=[product.pk])[product.pk]
    return stock.on_hand, stock.reserved, stock.available


# ---------------------------------------------------------------- the shortest path


def test_the_shortest_integrator_path_works_exactly_as_documented(make_user):
    api = bearer(make_user(roles=["Sales", "Warehouse", "Admin"]), ["*"])
    warehouse = api.post("/api/v1/inventory/warehouses/", {"name": "Main", "code": "MAIN"})
    assert warehouse.status_code == 201, warehouse.json()
    product = api.post(
        "/api/v1/inventory/products/", {"sku": "W-1", "name": "Widget", "sales_price": "10.00"}
    )
    assert product.status_code == 201, product.json()
    product_id = product.json()["id"]
    receipt = api.post(
        "/api/v1/inventory/stock-moves/",
        {
            "kind": "receipt",
            "product": product_id,
            "warehouse": warehouse.json()["id"],
            "quantity": "10",
        },
    )
    assert receipt.status_code == 201, receipt.json()
    account = crm.account_create(name="Acme Oy")

    created = api.post(
        f"{API}orders/",
        {"account": account.pk, "lines": [{"product": product_id, "quantity": "1"}]},
    )
    assert created.status_code == 201, created.json()
    order = created.json()
    assert created["Location"].endswith(f"{API}orders/{order['id']}/")
    assert order["status"] == "draft"
    assert order["warehouse"] == warehouse.json()["id"]
    assert order["currency"] == "EUR"
    assert order["total"] == "10.00"
    assert order["lines"][0]["unit_price"] == "10.00"
    assert order["lines"][0]["quantity"] == "1.000"

    confirmed = api.post(f"{API}orders/{order['id']}/confirm/")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "confirmed"
    stock = api.get(f"/api/v1/inventory/products/{product_id}/").json()
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == ("10.000", "1.000", "9.000")

    shipped = api.post(f"{API}orders/{order['id']}/ship/")
    assert shipped.status_code == 200, shipped.json()
    assert shipped.json()["status"] == "shipped"
    assert shipped.json()["lines"][0]["quantity_shipped"] == "1.000"
    stock = api.get(f"/api/v1/inventory/products/{product_id}/").json()
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == ("9.000", "0.000", "9.000")

    cancelled = api.post(f"{API}orders/{order['id']}/cancel/")
    assert cancelled.status_code == 409
    assert cancelled.json()["code"] == "order_shipped"

    # The cancel path on a second order releases its reservation.
    second = api.post(
        f"{API}orders/",
        {"account": account.pk, "lines": [{"product": product_id, "quantity": "2"}]},
    ).json()
    assert api.post(f"{API}orders/{second['id']}/confirm/").status_code == 200
    cancelled = api.post(f"{API}orders/{second['id']}/cancel/")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    stock = api.get(f"/api/v1/inventory/products/{product_id}/").json()
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == ("9.000", "0.000", "9.000")


# ---------------------------------------------------------------- orders


def test_confirm_short_of_stock_is_409_with_the_short_lines(api, account, warehouse):
    scarce = make_product(stock=1)
    order = make_order(account, (scarce, "3"))
    response = api.post(f"{API}orders/{order.pk}/confirm/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert body["detail"]
    assert body["lines"] == [
        {
            "product": scarce.pk,
            "sku": scarce.sku,
            "warehouse": warehouse.pk,
            "requested": "3.000",
            "available": "1.000",
        }
    ]
    order.refresh_from_db()
    assert order.status == "draft"
    assert levels(scarce) == (D("1"), D("0"), D("1"))


def test_confirming_a_cancelled_order_is_409_with_a_code(api, account, product):
    order = make_order(account, (product, "1"))
    assert api.post(f"{API}orders/{order.pk}/cancel/").status_code == 200
    response = api.post(f"{API}orders/{order.pk}/confirm/")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["status"] == "cancelled"


def test_partial_ship_then_the_rest(api, account, product):
    order = services.order_confirm(order=make_order(account, (product, "3")))
    line = order.lines.get()
    response = api.post(
        f"{API}orders/{order.pk}/ship/", {"lines": [{"line": line.pk, "quantity": "1"}]}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "partially_shipped"
    too_many = api.post(
        f"{API}orders/{order.pk}/ship/", {"lines": [{"line": line.pk, "quantity": "5"}]}
    )
    assert too_many.status_code == 409
    assert too_many.json()["code"] == "over_shipment"
    bad = api.post(f"{API}orders/{order.pk}/ship/", {"lines": [{"line": line.pk, "quantity": "0"}]})
    assert bad.status_code == 400
    assert "quantity" in bad.json()["lines"]["0"]
    rest = api.post(f"{API}orders/{order.pk}/ship/")
    assert rest.json()["status"] == "shipped"
    closed = api.post(f"{API}orders/{order.pk}/close/")
    assert closed.json()["status"] == "closed"
    assert levels(product) == (D("7"), D("0"), D("7"))


def test_order_lines_are_writable_on_drafts_with_etags(api, account, product):
    order = make_order(account, (product, "1"))
    detail = api.get(f"{API}orders/{order.pk}/")
    assert detail["ETag"] == '"1"'
    other = make_product(price="3.00")
    response = api.patch(
        f"{API}orders/{order.pk}/",
        {"lines": [{"product": other.pk, "quantity": "2", "discount_percent": "50"}]},
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    assert [(line["product"], line["line_total"]) for line in response.json()["lines"]] == [
        (other.pk, "3.00")
    ]
    stale = api.patch(f"{API}orders/{order.pk}/", {"notes": "x"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    api.post(f"{API}orders/{order.pk}/cancel/")
    locked = api.patch(f"{API}orders/{order.pk}/", {"notes": "x"})
    assert locked.status_code == 409
    assert locked.json()["code"] == "not_editable"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"quantity": "1.0001"}, "quantity"),
        ({"quantity": "1", "unit_price": "-0.01"}, "unit_price"),
        ({"quantity": "1", "unit_price": "1.001"}, "unit_price"),
        ({"quantity": "1", "unit_price": "ten"}, "unit_price"),
        ({"quantity": "1", "discount_percent": "100.5"}, "discount_percent"),
        ({"quantity": "1", "tax_rate": "-1"}, "tax_rate"),
        ({}, "quantity"),
    ],
)
def test_bad_line_input_is_400_with_nested_field_errors(api, account, product, line, field):
    response = api.post(
        f"{API}orders/",
        {
            "account": account.pk,
            "lines": [{"product": product.pk, "quantity": "1"}, {"product": product.pk, **line}],
        },
    )
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid"
    # DRF's nested shape: errors by line index, only for the lines that have some.
    assert list(body["lines"]) == ["1"]
    assert field in body["lines"]["1"]
    assert not SalesOrder.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"lines": [{"product": 1, "quantity": "1"}]},
        {"account": 999999, "lines": [{"product": 1, "quantity": "1"}]},
        {"account": "x", "lines": []},
        {"account": 1},
        {"account": 1, "lines": "nope"},
    ],
)
def test_bad_order_input_is_400(api, account, product, payload):
    if payload.get("account") == 1:
        payload = {**payload, "account": account.pk}
    response = api.post(f"{API}orders/", payload)
    assert response.status_code == 400, response.json()


def test_inactive_products_and_foreign_contacts_are_400(api, account, warehouse):
    inactive = make_product(active=False)
    response = api.post(
        f"{API}orders/",
        {"account": account.pk, "lines": [{"product": inactive.pk, "quantity": "1"}]},
    )
    assert response.status_code == 400
    assert "product" in response.json()["lines"]["0"]
    stranger = crm.contact_create(account=make_account("Other Oy"), first_name="Ann")
    response = api.post(
        f"{API}orders/",
        {
            "account": account.pk,
            "contact": stranger.pk,
            "lines": [{"product": make_product().pk, "quantity": "1"}],
        },
    )
    assert response.status_code == 400
    assert "contact" in response.json()


def test_order_list_filters_search_and_ordering(api, account, product):
    other = make_account("Globex Oy")
    first = make_order(account, (product, "1"))
    second = services.order_confirm(order=make_order(other, (product, "1")))
    ids = lambda response: [row["id"] for row in response.json()["results"]]  # noqa: E731
    assert ids(api.get(f"{API}orders/")) == [second.pk, first.pk]
    assert ids(api.get(f"{API}orders/", {"account": account.pk})) == [first.pk]
    assert ids(api.get(f"{API}orders/", {"status": "confirmed"})) == [second.pk]
    assert ids(api.get(f"{API}orders/", {"search": "globex"})) == [second.pk]
    assert ids(api.get(f"{API}orders/", {"search": first.number})) == [first.pk]
    assert ids(api.get(f"{API}orders/", {"ordering": "id"})) == [first.pk, second.pk]
    since = (second.updated_at - dt.timedelta(microseconds=1)).isoformat()
    assert second.pk in ids(api.get(f"{API}orders/", {"updated_since": since}))
    assert api.get(f"{API}orders/", {"status": "nope"}).status_code == 400
    assert api.get(f"{API}orders/", {"account": "1.5"}).status_code == 400


@pytest.mark.parametrize("resource", ["orders", "quotes"])
def test_list_query_count_does_not_grow_with_the_page(api, account, product, resource):
    def make(n):
        for _ in range(n):
            lines = [
                {"product": product, "quantity": D("1")},
                {"product": product, "quantity": D("2")},
            ]
            if resource == "orders":
                services.order_create(account=account, lines=lines)
            else:
                services.quote_create(account=account, lines=lines)

    make(3)
    api.get(f"{API}{resource}/")  # the token's first use writes its last_used_at
    with CaptureQueriesContext(connection) as small:
        assert len(api.get(f"{API}{resource}/", {"page_size": 3}).json()["results"]) == 3
    make(27)
    with CaptureQueriesContext(connection) as large:
        assert len(api.get(f"{API}{resource}/", {"page_size": 30}).json()["results"]) == 30
    assert len(large) == len(small)
    assert len(large) <= 8


def test_other_lists_query_count_is_bounded(api, account, product, django_assert_max_num_queries):
    for n in range(5):
        services.contract_create(
            account=account,
            title=f"C{n}",
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2027, 1, 1),
        )
        services.price_list_create(
            name=f"L{n}", items=[{"product": product, "min_quantity": D("1"), "unit_price": D("1")}]
        )
    for resource in ("contracts", "price-lists"):
        with django_assert_max_num_queries(8):
            assert len(api.get(f"{API}{resource}/").json()["results"]) == 5


# ---------------------------------------------------------------- quotes


def test_quote_flow_through_the_api(api, account, product):
    opportunity = crm.opportunity_create(account=account, name="Deal")
    created = api.post(
        f"{API}quotes/",
        {
            "account": account.pk,
            "opportunity": opportunity.pk,
            "valid_until": "2099-01-01",
            "lines": [{"product": product.pk, "quantity": "2", "discount_percent": "10"}],
        },
    )
    assert created.status_code == 201, created.json()
    quote = created.json()
    assert (quote["subtotal"], quote["tax_total"], quote["total"]) == ("18.00", "4.32", "22.32")
    assert api.post(f"{API}quotes/{quote['id']}/send/").json()["status"] == "sent"
    accepted = api.post(f"{API}quotes/{quote['id']}/accept/")
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "accepted"
    order_id = accepted.json()["order"]
    order = api.get(f"{API}orders/{order_id}/").json()
    assert order["quote"] == quote["id"]
    assert order["total"] == "22.32"
    opportunity.refresh_from_db()
    assert opportunity.status == "won"
    again = api.post(f"{API}quotes/{quote['id']}/accept/")
    assert again.status_code == 409
    assert again.json()["code"] == "quote_already_accepted"
    assert SalesOrder.objects.count() == 1


def test_quote_reject(api, account, product):
    quote = services.quote_create(account=account, lines=[{"product": product, "quantity": 1}])
    response = api.post(f"{API}quotes/{quote.pk}/reject/")
    assert response.json()["status"] == "rejected"
    assert api.post(f"{API}quotes/{quote.pk}/send/").status_code == 409


# ---------------------------------------------------------------- price lists and contracts


def test_price_lists_with_nested_items_price_new_orders(api, account, product):
    response = api.post(
        f"{API}price-lists/",
        {
            "name": "Standard",
            "currency": "EUR",
            "is_default": True,
            "items": [
                {"product": product.pk, "unit_price": "9.50"},
                {"product": product.pk, "min_quantity": "10", "unit_price": "8.00"},
            ],
        },
    )
    assert response.status_code == 201, response.json()
    assert [item["unit_price"] for item in response.json()["items"]] == ["9.50", "8.00"]
    order = api.post(
        f"{API}orders/",
        {"account": account.pk, "lines": [{"product": product.pk, "quantity": "10"}]},
    ).json()
    assert order["lines"][0]["unit_price"] == "8.00"
    bad = api.post(
        f"{API}price-lists/",
        {"name": "Bad", "items": [{"product": product.pk, "unit_price": "-1"}]},
    )
    assert bad.status_code == 400
    assert "unit_price" in bad.json()["items"]["0"]
    second_default = api.post(f"{API}price-lists/", {"name": "Two", "is_default": True})
    assert second_default.status_code == 400
    assert "is_default" in second_default.json()


def test_contracts_accept_a_document_upload(api, account, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = api.post(
        f"{API}contracts/",
        {
            "account": account.pk,
            "title": "Support 2026",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "value": "1200.00",
            "document": SimpleUploadedFile("terms.pdf", b"%PDF-1.4 test", "application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("C-")
    assert body["document"].endswith(".pdf")
    contract = Contract.objects.get()
    assert contract.document.read() == b"%PDF-1.4 test"
    bad = api.post(
        f"{API}contracts/",
        {"account": account.pk, "title": "x", "start_date": "2026-02-01", "end_date": "2026-01-01"},
    )
    assert bad.status_code == 400
    assert "end_date" in bad.json()
    ended = api.post(f"{API}contracts/{contract.pk}/end/")
    assert ended.json()["status"] == "ended"


# ---------------------------------------------------------------- roles


def test_managers_read_but_cannot_write(manager, account, product):
    order = make_order(account, (product, "1"))
    assert manager.get(f"{API}orders/").status_code == 200
    assert manager.get(f"{API}orders/{order.pk}/").status_code == 200
    assert manager.get(f"{API}quotes/").status_code == 200
    assert manager.get(f"{API}contracts/").status_code == 200
    assert manager.get(f"{API}price-lists/").status_code == 200
    assert manager.post(f"{API}orders/{order.pk}/confirm/").status_code == 403
    assert (
        manager.post(
            f"{API}orders/",
            {"account": account.pk, "lines": [{"product": product.pk, "quantity": "1"}]},
        ).status_code
        == 403
    )
    assert manager.post(f"{API}price-lists/", {"name": "x"}).status_code == 403


@pytest.mark.parametrize("role", ["Marketing", "Support", "Warehouse"])
def test_other_roles_cannot_see_sales(make_user, account, product, role):
    client = bearer(make_user(roles=[role]), ["*"])
    assert client.get(f"{API}orders/").status_code == 403
    order = make_order(account, (product, "1"))
    assert client.post(f"{API}orders/{order.pk}/confirm/").status_code == 403


def test_token_scopes_narrow_the_sales_role(seller, account, product):
    reader = bearer(seller, ["sales:read"])
    order = make_order(account, (product, "1"))
    assert reader.get(f"{API}orders/").status_code == 200
    assert reader.post(f"{API}orders/{order.pk}/confirm/").status_code == 403
    assert bearer(seller, ["crm:write"]).get(f"{API}orders/").status_code == 403


def test_anonymous_is_401():
    assert APIClient().get(f"{API}orders/").status_code == 401


def test_quotes_endpoint_uses_quote_permissions(api, account, product):
    quote = services.quote_create(account=account, lines=[{"product": product, "quantity": 1}])
    assert api.get(f"{API}quotes/{quote.pk}/").json()["number"] == quote.number
    assert Quote.objects.count() == 1


def test_search_with_a_null_character_is_400(api):
    response = api.get(f"{API}orders/", {"search": "a\x00b"})
    assert response.status_code == 400
    assert "search" in response.json()
