"""Inventory pages: catalogue, product, stock report, low stock, purchase orders, roles."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from inventory import selectors, services
from inventory.models import PurchaseOrder, StockMove
from tests.factories import inventory as make

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _no_two_factor_policy(settings):
    settings.TANDEM_MFA_REQUIRED_ROLES = []


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def wh(warehouse_user):
    return client_for(warehouse_user)


@pytest.fixture
def stocked():
    warehouse = make.main_warehouse()
    bolt = make.product(sku="BOLT-1", stock=2, unit_cost="1.50")
    nut = make.product(sku="NUT-1", stock=40, unit_cost="0.10")
    gone = make.product(sku="GONE-1")
    services.reorder_rule_create(product=bolt, warehouse=warehouse, min_qty=D("5"), max_qty=D("20"))
    return {"warehouse": warehouse, "bolt": bolt, "nut": nut, "gone": gone}


def test_catalogue_shows_stock_badges_search_sort_and_csv(wh, stocked):
    page = wh.get("/inventory/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "BOLT-1" in html
    assert "Low" in html
    assert "Out of stock" in html
    assert "In stock" in html
    searched = wh.get("/inventory/", {"q": "nut"}).content.decode()
    assert "NUT-1" in searched
    assert "BOLT-1" not in searched
    low = wh.get("/inventory/", {"stock": "low"}).content.decode()
    assert "BOLT-1" in low
    assert "GONE-1" in low
    assert "NUT-1" not in low
    sorted_page = wh.get("/inventory/", {"sort": "-available"}).content.decode()
    assert sorted_page.index("NUT-1") < sorted_page.index("BOLT-1")
    table = wh.get("/inventory/", {"q": "bolt"}, headers={"HX-Request": "true"})
    assert b"<html" not in table.content
    assert b"BOLT-1" in table.content
    csv = wh.get("/inventory/", {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert "NUT-1" in b"".join(csv.streaming_content).decode()


def test_product_detail_shows_stock_per_warehouse_and_moves(wh, stocked):
    page = wh.get(f"/inventory/products/{stocked['bolt'].pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Stock per warehouse" in html
    assert "Receipt" in html
    assert "5 / 20" in html


def test_product_create_and_edit_pages(wh):
    created = wh.post(
        "/inventory/products/new/",
        {"sku": "NEW-1", "name": "New", "uom": "unit", "sales_price": "5.00", "currency": "EUR",
         "tax_rate": "24.00", "tracked": "on", "active": "on"},
    )  # fmt: skip
    assert created.status_code == 302
    product = selectors.product_list().get(sku="NEW-1")
    edited = wh.post(
        f"/inventory/products/{product.pk}/edit/",
        {"sku": "NEW-1", "name": "Renamed", "uom": "unit", "sales_price": "6.00", "currency": "EUR",
         "tax_rate": "24.00", "tracked": "on", "active": "on"},
    )  # fmt: skip
    assert edited.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.sales_price) == ("Renamed", D("6.00"))
    duplicate = wh.post(
        "/inventory/products/new/",
        {"sku": "NEW-1", "name": "Again", "uom": "unit", "currency": "EUR", "tax_rate": "0"},
    )
    assert duplicate.status_code == 400


def test_stock_receipt_and_adjustment_form(wh, stocked):
    bolt = stocked["bolt"]
    body = {
        "kind": "receipt",
        "product": "bolt-1",
        "warehouse": stocked["warehouse"].pk,
        "quantity": "3",
    }
    assert wh.post("/inventory/stock/moves/new/", body).status_code == 302
    assert selectors.stock_levels(product_ids=[bolt.pk])[bolt.pk].on_hand == D("5")
    too_much = wh.post(
        "/inventory/stock/moves/new/", {**body, "kind": "adjustment", "quantity": "-9"}
    )
    assert too_much.status_code == 400
    zero = wh.post("/inventory/stock/moves/new/", {**body, "quantity": "0"})
    assert zero.status_code == 400
    assert "Must not be zero" in zero.content.decode()
    assert wh.get("/inventory/stock/moves/new/", {"sku": "BOLT-1"}).status_code == 200


def test_warehouse_report_values_stock_at_average_cost(wh, stocked):
    page = wh.get("/inventory/stock/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "BOLT-1" in html
    assert "NUT-1" in html
    assert "GONE-1" not in html
    totals = selectors.warehouse_totals(warehouse_id=stocked["warehouse"].pk)
    assert totals["value"] == D("7.00")  # 2 x 1.50 + 40 x 0.10


def test_low_stock_page_and_proposal(wh, stocked):
    services.supplier_price_set(
        supplier=make.supplier(), product=stocked["bolt"], unit_price=D("1.20"), preferred=True
    )
    page = wh.get("/inventory/stock/low/")
    assert page.status_code == 200
    assert "BOLT-1" in page.content.decode()
    assert "NUT-1" not in page.content.decode()
    proposed = wh.post("/inventory/reorder/propose/")
    assert proposed.status_code == 302
    order = PurchaseOrder.objects.get()
    assert order.lines.get().quantity == D("18")


def test_purchase_order_pages_create_send_receive_cancel(wh, stocked):
    vendor = make.supplier()
    assert wh.get("/inventory/purchase-orders/new/").status_code == 200
    created = wh.post(
        "/inventory/purchase-orders/new/",
        {
            "supplier": vendor.pk,
            "warehouse": stocked["warehouse"].pk,
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": "NUT-1",
            "lines-0-quantity": "10",
            "lines-0-unit_price": "0.20",
            "lines-1-product": "",
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    order = PurchaseOrder.objects.get()
    url = f"/inventory/purchase-orders/{order.pk}/"
    assert "Send to supplier" in wh.get(url).content.decode()
    assert wh.post(f"{url}send/").status_code == 302
    line = order.lines.get()
    assert wh.post(f"{url}receive/", {f"qty-{line.pk}": "4"}).status_code == 302
    order.refresh_from_db()
    assert order.status == "partially_received"
    over = wh.post(f"{url}receive/", {f"qty-{line.pk}": "99"}, follow=True)
    assert "More would be received" in over.content.decode() or "over" in over.content.decode()
    assert wh.post(f"{url}receive/", {"mode": "all"}).status_code == 302
    order.refresh_from_db()
    assert order.status == "received"
    assert StockMove.objects.filter(reference=f"inventory.purchase_order:{order.pk}").count() == 2
    refused = wh.post(f"{url}cancel/", follow=True)
    assert refused.status_code == 200
    assert "received" in refused.content.decode().lower()
    listing = wh.get("/inventory/purchase-orders/", {"status": "received"})
    assert order.number in listing.content.decode()


def test_bad_purchase_order_line_is_shown_next_to_the_field(wh, stocked):
    response = wh.post(
        "/inventory/purchase-orders/new/",
        {
            "supplier": make.supplier().pk,
            "warehouse": stocked["warehouse"].pk,
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": "NOPE",
            "lines-0-quantity": "-1",
        },
    )
    assert response.status_code == 400
    assert "No product has this SKU" in response.content.decode()
    assert not PurchaseOrder.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["/inventory/", "/inventory/stock/", "/inventory/stock/low/", "/inventory/purchase-orders/",
     "/inventory/stock/moves/new/", "/inventory/purchase-orders/new/"],
)  # fmt: skip
@pytest.mark.parametrize(
    ("role", "allowed"), [("Warehouse", True), ("Sales", False), ("Marketing", False)]
)
def test_pages_per_role(make_user, stocked, url, role, allowed):
    response = client_for(make_user(roles=[role])).get(url)
    assert (response.status_code == 200) is allowed
    if not allowed:
        assert response.status_code in (302, 403)


def test_manager_reads_but_cannot_post(make_user, stocked):
    client = client_for(make_user(roles=["Manager"]))
    assert client.get("/inventory/").status_code == 200
    assert client.get(f"/inventory/products/{stocked['bolt'].pk}/").status_code == 200
    assert client.get("/inventory/stock/").status_code == 200
    assert client.get("/inventory/stock/moves/new/").status_code == 403


def test_anonymous_is_sent_to_login():
    response = Client().get("/inventory/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_dashboard_shows_low_stock_to_the_warehouse_role_only(wh, stocked, make_user):
    html = wh.get("/").content.decode()
    assert 'data-testid="low-stock-panel"' in html
    assert "BOLT-1" in html
    sales = client_for(make_user(roles=["Sales"])).get("/").content.decode()
    assert 'data-testid="low-stock-panel"' not in sales
