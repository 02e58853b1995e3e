"""`seed_demo`'s inventory part: a catalogue with stock and purchasing, re-runnable."""

import pytest

from inventory import demo, selectors
from inventory.models import Category, Product, PurchaseOrder, ReorderRule, Supplier, Warehouse
from tests.factories import inventory as make

pytestmark = pytest.mark.django_db


def test_demo_seeds_catalogue_stock_and_purchase_orders_and_skips_what_exists():
    lines: list[str] = []
    demo.seed(scale=None, log=lines.append)

    assert Warehouse.objects.count() == 2
    assert 140 <= Product.objects.count() <= 200
    assert Category.objects.filter(parent=None).count() == 5
    assert Supplier.objects.count() == 6
    assert ReorderRule.objects.exists()
    statuses = set(PurchaseOrder.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in PurchaseOrder.Status}
    assert selectors.warehouse_totals()["value"] > 0
    assert selectors.ledger_balances() == selectors.stored_balances()
    skus = list(Product.objects.order_by("sku").values_list("sku", "name", "sales_price"))

    demo.seed(scale=None, log=lines.append)

    assert list(Product.objects.order_by("sku").values_list("sku", "name", "sales_price")) == skus
    assert PurchaseOrder.objects.filter(notes__startswith="Demo").count() == 8


def test_scale_adds_bulk_products_with_agreeing_ledger():
    make.main_warehouse()
    demo.seed_scale(50, log=lambda _: None)
    assert Product.objects.filter(sku__startswith=demo.SCALE_PREFIX).count() == 50
    demo.seed_scale(60, log=lambda _: None)
    assert Product.objects.filter(sku__startswith=demo.SCALE_PREFIX).count() == 60
    assert selectors.ledger_balances() == selectors.stored_balances()
