"""The inventory REST API: the integrator's shortest path, CRUD, actions, roles, bad input."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from integration.services import api_token_create
from inventory import services
from inventory.models import PurchaseOrder, StockMove
from tests.factories import inventory as make

pytestmark = pytest.mark.django_db

API = "/api/v1/inventory/"
D = Decimal


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api(warehouse_user):
    return client_for(warehouse_user)


def test_the_integrators_shortest_path(api):
    warehouse = api.post(f"{API}warehouses/", {"name": "Main", "code": "MAIN"}, format="json")
    assert warehouse.status_code == 201, warehouse.json()
    assert warehouse.json()["is_default"] is True
    product = api.post(
        f"{API}products/", {"sku": "W-1", "name": "Widget", "sales_price": "10.00"}, format="json"
    )
    assert product.status_code == 201, product.json()
    product_id = product.json()["id"]
    move = api.post(
        f"{API}stock-moves/",
        {
            "kind": "receipt",
            "product": product_id,
            "warehouse": warehouse.json()["id"],
            "quantity": "10",
        },
        format="json",
    )
    assert move.status_code == 201, move.json()
    assert move.json()["quantity"] == "10.000"

    body = api.get(f"{API}products/{product_id}/").json()

    assert (body["on_hand"], body["reserved"], body["available"]) == ("10.000", "0.000", "10.000")
    assert body["sales_price"] == "10.00"


def test_bearer_token_with_scope(warehouse_user):
    make.product(stock=1)
    _, raw = api_token_create(user=warehouse_user, name="t", scopes=["inventory:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(f"{API}products/").status_code == 200
    denied = client.post(f"{API}products/", {"sku": "X", "name": "X"}, format="json")
    assert denied.status_code == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", "0"),
        ("quantity", "-1"),
        ("quantity", "ten"),
        ("quantity", "1.0001"),
        ("unit_cost", "-1"),
    ],
)
def test_stock_move_bad_input_is_400_with_field_errors(api, field, value):
    product = make.product()
    body = {
        "kind": "receipt",
        "product": product.pk,
        "warehouse": make.main_warehouse().pk,
        "quantity": "1",
    }
    body[field] = value
    response = api.post(f"{API}stock-moves/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_adjustment_takes_a_signed_quantity_and_refuses_going_below_reserved(api):
    warehouse = make.main_warehouse()
    product = make.product(stock=5)
    services.stock_reserve(
        lines=[services.ReserveLine(product.pk, warehouse.pk, D("4"))], reference="r:1"
    )
    body = {"kind": "adjustment", "product": product.pk, "warehouse": warehouse.pk}
    assert (
        api.post(f"{API}stock-moves/", {**body, "quantity": "-1"}, format="json").status_code == 201
    )
    conflict = api.post(f"{API}stock-moves/", {**body, "quantity": "-1"}, format="json")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "stock_below_reserved"
    assert (
        api.post(
            f"{API}stock-moves/", {**body, "kind": "delivery", "quantity": "1"}, format="json"
        ).status_code
        == 400
    )


def test_stock_moves_are_never_edited_or_deleted(api):
    make.product(stock=1)
    move = StockMove.objects.get()
    url = f"{API}stock-moves/{move.pk}/"
    assert api.get(url).status_code == 200
    assert api.put(url, {"quantity": "2"}, format="json").status_code == 405
    assert api.patch(url, {"quantity": "2"}, format="json").status_code == 405
    assert api.delete(url).status_code == 405


@pytest.mark.parametrize("price", ["0", "-1.00", "abc", "1.001"])
def test_product_bad_price_is_400(api, price):
    response = api.post(
        f"{API}products/", {"sku": "P", "name": "P", "sales_price": price}, format="json"
    )
    assert response.status_code == 400
    assert "sales_price" in response.json()


def test_product_duplicate_sku_is_400(api):
    make.product(sku="DUP")
    response = api.post(f"{API}products/", {"sku": "DUP", "name": "Again"}, format="json")
    assert response.status_code == 400
    assert "sku" in response.json()


def test_product_update_and_delete(api):
    product = make.product()
    response = api.patch(f"{API}products/{product.pk}/", {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response["ETag"] == '"2"'
    used = make.product(stock=1)
    conflict = api.delete(f"{API}products/{used.pk}/")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "product_in_use"
    assert api.delete(f"{API}products/{product.pk}/").status_code == 204


def test_product_filters_and_search(api):
    warehouse = make.main_warehouse()
    root = services.category_create(name="Hardware")
    bolts = services.category_create(name="Bolts", parent=root)
    bolt = make.product(sku="BOLT-1", category=bolts, stock=1)
    make.product(sku="NUT-1", stock=50)
    make.product(sku="GONE-1", active=False)
    services.reorder_rule_create(product=bolt, warehouse=warehouse, min_qty=D("5"), max_qty=D("10"))

    def skus(query):
        response = api.get(f"{API}products/{query}")
        assert response.status_code == 200, response.json()
        return [row["sku"] for row in response.json()["results"]]

    assert skus(f"?category={root.pk}") == ["BOLT-1"]
    assert skus("?search=nut") == ["NUT-1"]
    assert skus("?active=false") == ["GONE-1"]
    assert skus("?low_stock=true") == ["BOLT-1"]
    assert skus("?ordering=-available&active=true") == ["NUT-1", "BOLT-1"]
    assert api.get(f"{API}products/?category=abc").status_code == 400


def test_product_stock_in_one_warehouse(api):
    make.main_warehouse()
    other = make.warehouse()
    product = make.product(stock=3)
    services.stock_receive(product=product, warehouse=other, quantity=D("2"))
    assert api.get(f"{API}products/{product.pk}/").json()["on_hand"] == "5.000"
    rows = api.get(f"{API}products/?warehouse={other.pk}").json()["results"]
    assert rows[0]["on_hand"] == "2.000"


def test_purchase_order_flow_through_the_api(api):
    warehouse = make.main_warehouse()
    product = make.product()
    supplier = api.post(f"{API}suppliers/", {"code": "ACME", "name": "Acme"}, format="json").json()
    priced = api.post(
        f"{API}suppliers/{supplier['id']}/prices/",
        {"product": product.pk, "unit_price": "2.50", "preferred": True},
        format="json",
    )
    assert priced.status_code == 200
    assert priced.json()["prices"][0]["unit_price"] == "2.50"
    created = api.post(
        f"{API}purchase-orders/",
        {"supplier": supplier["id"], "lines": [{"product": product.pk, "quantity": "10"}]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    order = created.json()
    assert order["warehouse"] == warehouse.pk
    assert order["total"] == "25.00"
    url = f"{API}purchase-orders/{order['id']}/"
    updated = api.patch(
        url,
        {"lines": [{"product": product.pk, "quantity": "8", "unit_price": "3.00"}]},
        format="json",
    )
    assert updated.status_code == 200
    assert updated.json()["total"] == "24.00"
    assert api.post(f"{url}receive/").status_code == 409  # a draft
    assert api.post(f"{url}send/").json()["status"] == "sent"
    line = updated.json()["lines"][0]["id"]
    partial = api.post(
        f"{url}receive/", {"lines": [{"line": line, "quantity": "3"}]}, format="json"
    )
    assert partial.json()["status"] == "partially_received"
    over = api.post(f"{url}receive/", {"lines": [{"line": line, "quantity": "6"}]}, format="json")
    assert over.status_code == 409
    assert over.json()["code"] == "over_receipt"
    bad = api.post(f"{url}receive/", {"lines": [{"line": line, "quantity": "0"}]}, format="json")
    assert bad.status_code == 400
    done = api.post(f"{url}receive/")
    assert done.json()["status"] == "received"
    assert api.get(f"{API}products/{product.pk}/").json()["on_hand"] == "8.000"
    assert api.post(f"{url}cancel/").status_code == 409
    assert api.delete(url).status_code == 405


@pytest.mark.parametrize(
    "line",
    [
        {"quantity": "0"},
        {"quantity": "-2"},
        {"quantity": "x"},
        {"quantity": "1", "unit_price": "0"},
        {"quantity": "1", "unit_price": "1.234"},
    ],
)
def test_purchase_order_bad_lines_are_400(api, line):
    supplier = make.supplier()
    product = make.product()
    make.main_warehouse()
    response = api.post(
        f"{API}purchase-orders/",
        {"supplier": supplier.pk, "lines": [{"product": product.pk, **line}]},
        format="json",
    )
    assert response.status_code == 400
    assert "lines" in response.json()
    assert not PurchaseOrder.objects.exists()


def test_reorder_rules_crud_and_validation(api):
    warehouse = make.main_warehouse()
    product = make.product()
    body = {"product": product.pk, "warehouse": warehouse.pk, "min_qty": "5", "max_qty": "10"}
    created = api.post(f"{API}reorder-rules/", body, format="json")
    assert created.status_code == 201, created.json()
    duplicate = api.post(f"{API}reorder-rules/", body, format="json")
    assert duplicate.status_code == 400
    inverted = api.patch(
        f"{API}reorder-rules/{created.json()['id']}/", {"max_qty": "1"}, format="json"
    )
    assert inverted.status_code == 400
    assert "max_qty" in inverted.json()
    assert api.delete(f"{API}reorder-rules/{created.json()['id']}/").status_code == 204


def test_warehouses_are_deactivated_not_deleted(api):
    make.main_warehouse()
    other = make.warehouse()
    url = f"{API}warehouses/{other.pk}/"
    assert api.patch(url, {"active": False}, format="json").json()["active"] is False
    assert api.delete(url).status_code == 405
    duplicate = api.post(f"{API}warehouses/", {"code": other.code, "name": "Again"}, format="json")
    assert duplicate.status_code == 400


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [("Warehouse", 200, 201), ("Manager", 200, 403), ("Sales", 200, 403), ("Marketing", 403, 403)],
)
def test_permissions_per_role(make_user, role, read, write):
    make.product(stock=1)
    client = client_for(make_user(roles=[role]))
    assert client.get(f"{API}products/").status_code == read
    created = client.post(f"{API}products/", {"sku": "NEW", "name": "New"}, format="json")
    assert created.status_code == write


def test_sales_reads_products_but_not_purchasing(make_user):
    client = client_for(make_user(roles=["Sales"]))
    assert client.get(f"{API}products/").status_code == 200
    assert client.get(f"{API}purchase-orders/").status_code == 403
    assert client.get(f"{API}stock-moves/").status_code == 403


def test_anonymous_is_refused():
    assert APIClient().get(f"{API}products/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("resource", "build"),
    [
        ("products", lambda: make.product(stock=2)),
        ("stock-moves", lambda: make.product(stock=2)),
        ("purchase-orders", lambda: make.purchase_order(lines=[(make.product(), "2", "1.00")] * 2)),
        ("suppliers", lambda: services.supplier_price_set(
            supplier=make.supplier(), product=make.product(), unit_price=D("1.00"))),
        ("warehouses", lambda: make.warehouse()),
        ("reorder-rules", lambda: services.reorder_rule_create(
            product=make.product(), warehouse=make.main_warehouse(),
            min_qty=D("1"), max_qty=D("2"))),
    ],
)  # fmt: skip
def test_list_query_count_does_not_grow_with_page_size(
    api, django_assert_max_num_queries, resource, build
):
    make.main_warehouse()
    for _ in range(3):
        build()
    with django_assert_max_num_queries(12) as small:
        assert api.get(f"{API}{resource}/?page_size=1").status_code == 200
    for _ in range(12):
        build()
    with django_assert_max_num_queries(len(small.captured_queries)) as _large:
        response = api.get(f"{API}{resource}/?page_size=50")
        assert response.status_code == 200
    assert len(response.json()["results"]) >= 10
