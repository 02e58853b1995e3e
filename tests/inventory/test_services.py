"""Inventory services on PostgreSQL: the ledger, reservations, valuation, purchasing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from inventory import selectors, services
from inventory.errors import (
    InactiveWarehouse,
    InsufficientStock,
    InvalidStatus,
    OverFulfilment,
    OverReceipt,
    ProductInUse,
    StockBelowReserved,
)
from inventory.models import (
    Location,
    Product,
    PurchaseOrder,
    Reservation,
    StockMove,
    Warehouse,
    WarehouseStock,
)
from inventory.services import ReserveLine
from tests.factories import inventory as make

pytestmark = pytest.mark.django_db

D = Decimal


def level(product, warehouse=None):
    return selectors.stock_levels(
        product_ids=[product.pk], warehouse_id=warehouse.pk if warehouse else None
    )[product.pk]


def assert_ledger_agrees():
    assert selectors.ledger_balances() == selectors.stored_balances()


# ---------------------------------------------------------------- catalogue


def test_first_warehouse_is_default_and_each_has_a_default_location():
    first = make.warehouse("A")
    second = make.warehouse("B")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_default
    assert not second.is_default
    assert selectors.default_warehouse() == first
    for warehouse in (first, second):
        assert Location.objects.filter(warehouse=warehouse, is_default=True).count() == 1


def test_make_default_moves_the_flag():
    first, second = make.warehouse(), make.warehouse()
    services.warehouse_make_default(warehouse=second)
    assert list(Warehouse.objects.filter(is_default=True)) == [second]
    assert not Warehouse.objects.get(pk=first.pk).is_default


def test_product_create_and_update_publish_events(new_events):
    product = services.product_create(sku="W-1", name="Widget", sales_price=D("10.00"))
    assert product.currency
    assert product.uom == "unit"
    assert product.tracked
    services.product_update(product=product, name="Widget 2")
    services.product_update(product=product, name="Widget 2")  # no change, no event
    types = [e.type for e in new_events("inventory.product")]
    assert types == ["inventory.product.created", "inventory.product.updated"]
    assert new_events("inventory.product")[-1].data["name"] == "Widget 2"
    assert new_events("inventory.product")[-1].subject_version == 2


def test_product_sku_is_unique():
    services.product_create(sku="W-1", name="Widget")
    with pytest.raises(ValidationError) as error:
        services.product_create(sku="W-1", name="Other")
    assert "sku" in error.value.message_dict


def test_product_cost_is_not_set_by_hand():
    product = make.product()
    with pytest.raises(TypeError):
        services.product_update(product=product, cost=D("1.00"))


def test_product_with_history_cannot_be_deleted_but_a_fresh_one_can():
    used = make.product(stock=1)
    with pytest.raises(ProductInUse):
        services.product_delete(product=used)
    fresh = make.product()
    services.product_delete(product=fresh)
    assert not Product.objects.filter(pk=fresh.pk).exists()


def test_category_cannot_become_its_own_ancestor():
    root = services.category_create(name="Hardware")
    child = services.category_create(name="Bolts", parent=root)
    with pytest.raises(ValidationError):
        services.category_update(category=root, parent=child)


# ---------------------------------------------------------------- receipts and adjustments


def test_receive_raises_on_hand_and_moves_average_cost(new_events):
    warehouse = make.main_warehouse()
    product = make.product()
    services.stock_receive(
        product=product, warehouse=warehouse, quantity=D("10"), unit_cost=D("4.00")
    )
    services.stock_receive(
        product=product, warehouse=warehouse, quantity=D("10"), unit_cost=D("6.00")
    )
    product.refresh_from_db()
    assert product.cost == D("5.00")
    assert level(product) == selectors.StockLevel(D("20"), D("0"), D("20"))
    changed = new_events("inventory.stock.changed")
    assert [e.data["on_hand"] for e in changed] == ["10.000", "20.000"]
    assert changed[-1].data["available"] == "20.000"
    assert_ledger_agrees()


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", "1.0001"])
def test_receive_refuses_bad_quantities(quantity):
    with pytest.raises(ValidationError):
        services.stock_receive(
            product=make.product(), warehouse=make.main_warehouse(), quantity=quantity
        )


def test_receive_into_inactive_warehouse_is_refused():
    make.main_warehouse()
    closed = make.warehouse(active=False)
    with pytest.raises(InactiveWarehouse):
        services.stock_receive(product=make.product(), warehouse=closed, quantity=D("1"))


def test_adjust_up_and_down_but_never_below_reserved():
    warehouse = make.main_warehouse()
    product = make.product(stock=10)
    services.stock_adjust(product=product, warehouse=warehouse, quantity=D("2"))
    services.stock_reserve(lines=[ReserveLine(product.pk, warehouse.pk, D("8"))], reference="r:1")
    services.stock_adjust(product=product, warehouse=warehouse, quantity=D("-4"))
    with pytest.raises(StockBelowReserved):
        services.stock_adjust(product=product, warehouse=warehouse, quantity=D("-1"))
    assert level(product) == selectors.StockLevel(D("8"), D("8"), D("0"))
    with pytest.raises(ValidationError):
        services.stock_adjust(product=product, warehouse=warehouse, quantity=D("0"))
    assert_ledger_agrees()


def test_transfer_between_locations_and_warehouses():
    main = make.main_warehouse()
    other = make.warehouse()
    shelf = services.location_create(warehouse=main, code="A-1")
    product = make.product(stock=10)
    stock = Location.objects.get(warehouse=main, is_default=True)
    services.stock_transfer(
        product=product, from_location=stock, to_location=shelf, quantity=D("4")
    )
    assert level(product, main).on_hand == D("10")
    other_stock = Location.objects.get(warehouse=other, is_default=True)
    services.stock_transfer(
        product=product, from_location=shelf, to_location=other_stock, quantity=D("3")
    )
    assert level(product, main).on_hand == D("7")
    assert level(product, other).on_hand == D("3")
    with pytest.raises(StockBelowReserved):
        services.stock_transfer(
            product=product, from_location=shelf, to_location=stock, quantity=D("2")
        )
    assert_ledger_agrees()


# ---------------------------------------------------------------- reservations


def test_reserve_sums_lines_and_records_the_reservation(new_events):
    warehouse = make.main_warehouse()
    product = make.product(stock=10)
    services.stock_reserve(
        lines=[
            ReserveLine(product.pk, warehouse.pk, D("3")),
            ReserveLine(product.pk, warehouse.pk, D("2")),
        ],
        reference="sales.order:1",
    )
    assert level(product) == selectors.StockLevel(D("10"), D("5"), D("5"))
    reservation = Reservation.objects.get(reference="sales.order:1")
    assert reservation.quantity == D("5")
    event = new_events("inventory.stock.changed")[-1]
    assert event.data["reserved"] == "5.000"
    assert event.data["available"] == "5.000"
    assert event.data["reference"] == "sales.order:1"


def test_reserve_is_all_or_nothing_and_names_each_short_product():
    warehouse = make.main_warehouse()
    plenty = make.product(stock=10)
    scarce = make.product(stock=1)
    none = make.product()
    with pytest.raises(InsufficientStock) as error:
        services.stock_reserve(
            lines=[
                ReserveLine(plenty.pk, warehouse.pk, D("2")),
                ReserveLine(scarce.pk, warehouse.pk, D("2")),
                ReserveLine(none.pk, warehouse.pk, D("1")),
            ],
            reference="sales.order:9",
        )
    assert error.value.code == "insufficient_stock"
    assert sorted(error.value.lines, key=lambda line: line["product"]) == [
        {"product": scarce.pk, "sku": scarce.sku, "warehouse": warehouse.pk,
         "requested": "2.000", "available": "1.000"},
        {"product": none.pk, "sku": none.sku, "warehouse": warehouse.pk,
         "requested": "1.000", "available": "0.000"},
    ]  # fmt: skip
    assert level(plenty).reserved == 0
    assert not Reservation.objects.exists()


def test_reserve_skips_untracked_products():
    warehouse = make.main_warehouse()
    service = make.product(tracked=False)
    services.stock_reserve(lines=[ReserveLine(service.pk, warehouse.pk, D("5"))], reference="x:1")
    assert not StockMove.objects.filter(product=service).exists()


def test_reserve_joins_the_callers_transaction():
    warehouse = make.main_warehouse()
    product = make.product(stock=5)

    def reserve_then_fail():
        with transaction.atomic():
            services.stock_reserve(
                lines=[ReserveLine(product.pk, warehouse.pk, D("5"))], reference="x:1"
            )
            raise RuntimeError("the caller fails after reserving")

    with pytest.raises(RuntimeError):
        reserve_then_fail()
    assert level(product).reserved == 0


def test_release_is_idempotent():
    warehouse = make.main_warehouse()
    product = make.product(stock=5)
    services.stock_reserve(lines=[ReserveLine(product.pk, warehouse.pk, D("3"))], reference="o:1")
    services.stock_release(reference="o:1")
    services.stock_release(reference="o:1")
    services.stock_release(reference="never-reserved")
    assert level(product) == selectors.StockLevel(D("5"), D("0"), D("5"))
    assert StockMove.objects.filter(kind=StockMove.Kind.RESERVATION_RELEASE).count() == 1
    assert_ledger_agrees()


def test_partial_fulfil_then_release_keeps_ledger_and_balances_in_step():
    warehouse = make.main_warehouse()
    a = make.product(stock=10)
    b = make.product(stock=4)
    services.stock_reserve(
        lines=[ReserveLine(a.pk, warehouse.pk, D("6")), ReserveLine(b.pk, warehouse.pk, D("4"))],
        reference="sales.order:7",
    )
    services.stock_fulfil(
        reference="sales.order:7", lines=[ReserveLine(a.pk, warehouse.pk, D("2"))]
    )
    assert level(a) == selectors.StockLevel(D("8"), D("4"), D("4"))
    services.stock_release(reference="sales.order:7")
    assert level(a) == selectors.StockLevel(D("8"), D("0"), D("8"))
    assert level(b) == selectors.StockLevel(D("4"), D("0"), D("4"))
    reservation = Reservation.objects.get(reference="sales.order:7", product=a)
    assert (
        reservation.quantity,
        reservation.quantity_fulfilled,
        reservation.quantity_released,
    ) == (
        0,
        2,
        4,
    )
    assert_ledger_agrees()


def test_fulfil_everything_and_over_fulfilment():
    warehouse = make.main_warehouse()
    product = make.product(stock=5)
    services.stock_reserve(lines=[ReserveLine(product.pk, warehouse.pk, D("3"))], reference="o:2")
    with pytest.raises(OverFulfilment) as error:
        services.stock_fulfil(
            reference="o:2", lines=[ReserveLine(product.pk, warehouse.pk, D("4"))]
        )
    assert error.value.code == "over_fulfilment"
    services.stock_fulfil(reference="o:2")
    assert level(product) == selectors.StockLevel(D("2"), D("0"), D("2"))
    services.stock_fulfil(reference="o:2")  # nothing left: no-op
    assert StockMove.objects.filter(kind=StockMove.Kind.DELIVERY).count() == 1
    assert_ledger_agrees()


def test_fulfil_takes_from_several_locations():
    warehouse = make.main_warehouse()
    shelf = services.location_create(warehouse=warehouse, code="B-2")
    product = make.product(stock=2)
    services.stock_receive(product=product, warehouse=warehouse, quantity=D("3"), location=shelf)
    services.stock_reserve(lines=[ReserveLine(product.pk, warehouse.pk, D("4"))], reference="o:3")
    services.stock_fulfil(reference="o:3")
    assert StockMove.objects.filter(kind=StockMove.Kind.DELIVERY).count() == 2
    assert level(product).on_hand == D("1")
    assert_ledger_agrees()


def test_stock_low_is_published_when_available_falls_below_the_minimum(new_events):
    warehouse = make.main_warehouse()
    product = make.product(stock=10)
    services.reorder_rule_create(
        product=product, warehouse=warehouse, min_qty=D("5"), max_qty=D("20")
    )
    services.stock_reserve(lines=[ReserveLine(product.pk, warehouse.pk, D("4"))], reference="a")
    assert not new_events("inventory.stock.low")
    services.stock_reserve(lines=[ReserveLine(product.pk, warehouse.pk, D("2"))], reference="b")
    services.stock_reserve(lines=[ReserveLine(product.pk, warehouse.pk, D("1"))], reference="c")
    low = new_events("inventory.stock.low")
    assert len(low) == 1  # once, when it crossed
    assert low[0].data["available"] == "4.000"
    assert low[0].data["min_qty"] == "5.000"


def test_database_refuses_negative_available_stock():
    warehouse = make.main_warehouse()
    product = make.product(stock=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        WarehouseStock.objects.filter(product=product, warehouse=warehouse).update(reserved=D("2"))
    with pytest.raises(IntegrityError), transaction.atomic():
        WarehouseStock.objects.filter(product=product, warehouse=warehouse).update(reserved=D("-1"))


# ---------------------------------------------------------------- the append-only ledger


def test_trigger_refuses_update_and_delete_of_moves():
    make.product(stock=3)
    move = StockMove.objects.get()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        StockMove.objects.filter(pk=move.pk).update(quantity=D("4"))
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        StockMove.objects.filter(pk=move.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM inventory_stockmove")
    assert StockMove.objects.get().quantity == D("3")


# ---------------------------------------------------------------- purchasing


def test_reorder_rule_proposes_a_purchase_order_and_receiving_it_raises_on_hand(new_events):
    warehouse = make.main_warehouse()
    product = make.product(stock=2, unit_cost="3.00")
    cheap, preferred = make.supplier(), make.supplier()
    services.supplier_price_set(supplier=cheap, product=product, unit_price=D("2.00"))
    services.supplier_price_set(
        supplier=preferred, product=product, unit_price=D("3.50"), preferred=True
    )
    services.reorder_rule_create(
        product=product, warehouse=warehouse, min_qty=D("5"), max_qty=D("12")
    )

    proposed = services.reorder_propose()

    assert len(proposed) == 1
    order = proposed[0]
    assert (order.status, order.source, order.supplier) == ("draft", "reorder", preferred)
    line = order.lines.get()
    assert (line.quantity, line.unit_price, order.total) == (D("10"), D("3.50"), D("35.00"))
    assert services.reorder_propose() == []  # the draft covers it: no second proposal

    order = services.purchase_order_send(order=order)
    assert services.reorder_propose() == []
    order = services.purchase_order_receive(order=order)
    assert order.status == PurchaseOrder.Status.RECEIVED
    assert level(product).on_hand == D("12")
    product.refresh_from_db()
    assert product.cost == D("3.42")  # (2 x 3.00 + 10 x 3.50) / 12
    types = [e.type for e in new_events("inventory.purchase_order")]
    assert types == [
        "inventory.purchase_order.created",
        "inventory.purchase_order.sent",
        "inventory.purchase_order.received",
    ]
    assert new_events("inventory.purchase_order")[-1].data["receipt"][0]["quantity"] == "10.000"
    assert_ledger_agrees()


def test_reorder_groups_by_supplier_and_warehouse():
    warehouse = make.main_warehouse()
    vendor = make.supplier()
    products = [make.product() for _ in range(3)]
    for item in products:
        services.supplier_price_set(
            supplier=vendor, product=item, unit_price=D("1.00"), preferred=True
        )
        services.reorder_rule_create(
            product=item, warehouse=warehouse, min_qty=D("1"), max_qty=D("5")
        )
    orphan = make.product()  # no supplier price: skipped
    services.reorder_rule_create(
        product=orphan, warehouse=warehouse, min_qty=D("1"), max_qty=D("5")
    )
    (order,) = services.reorder_propose()
    assert order.lines.count() == 3


def test_partial_then_full_receipt_and_over_receipt():
    product = make.product()
    order = make.purchase_order(lines=[(product, "10", "2.00")], send=True)
    line = order.lines.get()
    order = services.purchase_order_receive(
        order=order, lines=[{"line": line.pk, "quantity": D("4")}]
    )
    assert order.status == PurchaseOrder.Status.PARTIALLY_RECEIVED
    with pytest.raises(OverReceipt):
        services.purchase_order_receive(order=order, lines=[{"line": line.pk, "quantity": D("7")}])
    assert level(product).on_hand == D("4")
    order = services.purchase_order_receive(order=order)
    assert order.status == PurchaseOrder.Status.RECEIVED
    assert level(product).on_hand == D("10")
    with pytest.raises(InvalidStatus):
        services.purchase_order_receive(order=order)
    with pytest.raises(InvalidStatus):
        services.purchase_order_cancel(order=order)


def test_purchase_order_transitions():
    product = make.product()
    order = make.purchase_order(lines=[(product, "1", "1.00")])
    with pytest.raises(InvalidStatus):
        services.purchase_order_receive(order=order)  # a draft is not received
    order = services.purchase_order_update(
        order=order, lines=[{"product": product, "quantity": D("3"), "unit_price": D("2.50")}]
    )
    assert order.total == D("7.50")
    assert order.version == 2
    order = services.purchase_order_send(order=order)
    with pytest.raises(InvalidStatus):
        services.purchase_order_update(order=order, notes="late")
    with pytest.raises(InvalidStatus):
        services.purchase_order_send(order=order)
    order = services.purchase_order_cancel(order=order)
    assert order.status == PurchaseOrder.Status.CANCELLED
    assert order.cancelled_at


def test_purchase_order_line_price_defaults_to_the_suppliers_price_break():
    product = make.product()
    vendor = make.supplier()
    services.supplier_price_set(supplier=vendor, product=product, unit_price=D("5.00"))
    services.supplier_price_set(
        supplier=vendor, product=product, unit_price=D("4.00"), min_quantity=D("10")
    )
    order = services.purchase_order_create(
        supplier=vendor,
        warehouse=make.main_warehouse(),
        lines=[{"product": product, "quantity": D("12")}],
    )
    assert order.lines.get().unit_price == D("4.00")
    assert order.number.startswith("PO-")


def test_reorder_rule_min_must_not_exceed_max():
    with pytest.raises(ValidationError):
        services.reorder_rule_create(
            product=make.product(), warehouse=make.main_warehouse(), min_qty=D("5"), max_qty=D("4")
        )


def test_propose_reorders_task_runs_the_service():
    from inventory.tasks import propose_reorders

    warehouse = make.main_warehouse()
    product = make.product()
    services.supplier_price_set(
        supplier=make.supplier(), product=product, unit_price=D("1.00"), preferred=True
    )
    services.reorder_rule_create(
        product=product, warehouse=warehouse, min_qty=D("1"), max_qty=D("2")
    )
    numbers = propose_reorders.run()
    assert numbers == [PurchaseOrder.objects.get().number]


def test_reserve_refuses_an_unknown_product_or_warehouse():
    warehouse = make.main_warehouse()
    product = make.product(stock=1)
    with pytest.raises(ValidationError):
        services.stock_reserve(lines=[ReserveLine(987654, warehouse.pk, D("1"))], reference="u:1")
    with pytest.raises(ValidationError):
        services.stock_reserve(lines=[ReserveLine(product.pk, 987654, D("1"))], reference="u:2")
    assert level(product).reserved == 0
