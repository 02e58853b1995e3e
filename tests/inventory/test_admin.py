"""Inventory admin: every model registered; the ledger read-only; writes through services."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import Client

from inventory import services
from inventory.models import Product, PurchaseOrder, StockMove
from tests.factories import inventory as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(make_user, settings):
    settings.TANDEM_MFA_REQUIRED_ROLES = []
    client = Client()
    client.force_login(make_user(is_superuser=True, is_staff=True))
    return client


def test_every_inventory_model_is_registered_and_its_pages_render(admin_client_):
    product = make.product(stock=3)
    make.purchase_order(lines=[(product, "2", "1.00")])
    from django.apps import apps

    for model in apps.get_app_config("inventory").get_models():
        assert admin.site.is_registered(model), model
        url = f"/admin/inventory/{model._meta.model_name}/"
        assert admin_client_.get(url).status_code == 200, url
    move = StockMove.objects.first()
    assert admin_client_.get(f"/admin/inventory/stockmove/{move.pk}/change/").status_code == 200
    assert admin_client_.get("/admin/inventory/stockmove/add/").status_code == 403
    assert admin_client_.get(f"/admin/inventory/stockmove/{move.pk}/delete/").status_code == 403


def test_admin_product_edit_goes_through_the_service(admin_client_, new_events):
    product = make.product()
    response = admin_client_.post(
        f"/admin/inventory/product/{product.pk}/change/",
        {
            "sku": product.sku,
            "name": "Renamed in admin",
            "description": "",
            "uom": "unit",
            "sales_price": "12.00",
            "currency": product.currency,
            "tax_rate": "0.00",
            "tracked": "on",
            "active": "on",
            "barcode": "",
            "warehouse_stock-TOTAL_FORMS": "0",
            "warehouse_stock-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.sales_price == Decimal("12.00")
    assert new_events("inventory.product.updated")[-1].data["name"] == "Renamed in admin"


def test_admin_purchase_order_actions(admin_client_):
    order = make.purchase_order(lines=[(make.product(), "2", "1.00")])
    for action in ("send", "receive_all"):
        admin_client_.post(
            "/admin/inventory/purchaseorder/",
            {"action": action, "_selected_action": [order.pk]},
        )
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED
    assert Product.objects.get().warehouse_stock.get().on_hand == Decimal("2")


def test_admin_action_refused_by_a_rule_is_a_message_not_an_error(admin_client_):
    empty = make.purchase_order(lines=[(make.product(), "2", "1.00")])
    services.purchase_order_cancel(order=empty)

    response = admin_client_.post(
        "/admin/inventory/purchaseorder/",
        {"action": "send", "_selected_action": [empty.pk]},
        follow=True,
    )

    assert response.status_code == 200
    empty.refresh_from_db()
    assert empty.status == PurchaseOrder.Status.CANCELLED
    assert any(str(empty) in str(m) for m in response.context["messages"])
