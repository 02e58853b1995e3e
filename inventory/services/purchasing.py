"""Purchasing services: suppliers and their prices, reorder rules and proposals, purchase orders.

A purchase order goes draft → sent → partially_received → received, or is cancelled
(from draft or sent). Receiving posts receipt moves (at the line's unit price, which moves
the product's average cost) in the same transaction as the order's new status.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from integration.changes import field_error, lock_version, save_changes
from integration.events import publish
from integration.rounding import round_money
from inventory.errors import InvalidStatus, OverReceipt
from inventory.events import purchase_order_data, qty
from inventory.models import (
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    StockMove,
    Supplier,
    SupplierPrice,
    Warehouse,
    WarehouseStock,
)
from inventory.services.base import ZERO, assign, positive_quantity
from inventory.services.stock import _Batch, _receive

Status = PurchaseOrder.Status


def po_reference(order: PurchaseOrder) -> str:
    return f"inventory.purchase_order:{order.pk}"


# ---------------------------------------------------------------- suppliers


@transaction.atomic
def supplier_create(*, code: str, name: str, actor: Any = None, **fields: Any) -> Supplier:
    supplier = Supplier(code=(code or "").strip().upper(), name=(name or "").strip())
    assign(supplier, fields)
    supplier.full_clean()
    supplier.save()
    return supplier


@transaction.atomic
def supplier_update(*, supplier: Supplier, actor: Any = None, **fields: Any) -> Supplier:
    if "code" in fields:
        fields["code"] = (fields["code"] or "").strip().upper()
    changed = assign(supplier, fields)
    if changed:
        supplier.full_clean()
        lock_version(supplier)
        save_changes(supplier, changed)
    return supplier


def _unit_price(value: Any, *, field: str = "unit_price") -> Decimal:
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise field_error(field, "Enter a number.") from None
    if not price.is_finite() or price < 0:
        raise field_error(field, "Must not be negative.")
    if price != round_money(price):
        raise field_error(field, "At most 2 decimal places.")
    return price


@transaction.atomic
def supplier_price_set(
    *,
    supplier: Supplier,
    product: Product,
    unit_price: Decimal,
    min_quantity: Decimal = Decimal("1"),
    currency: str | None = None,
    lead_time_days: int | None = None,
    preferred: bool | None = None,
) -> SupplierPrice:
    """Create or change the supplier's price for a product from `min_quantity` on.

    preferred=True makes this supplier the product's preferred one (others lose the flag).
    """
    min_quantity = positive_quantity(min_quantity, field="min_quantity")
    price, _ = SupplierPrice.objects.select_for_update().get_or_create(
        supplier=supplier,
        product=product,
        min_quantity=min_quantity,
        defaults={"unit_price": _unit_price(unit_price), "currency": currency or supplier.currency},
    )
    price.unit_price = _unit_price(unit_price)
    price.currency = currency or price.currency
    price.lead_time_days = lead_time_days
    if preferred:
        SupplierPrice.objects.filter(product=product, preferred=True).exclude(pk=price.pk).update(
            preferred=False
        )
        price.preferred = True
    elif preferred is False:
        price.preferred = False
    price.full_clean()
    price.save()
    return price


def supplier_price_for(
    *, supplier: Supplier, product: Product, quantity: Decimal
) -> SupplierPrice | None:
    """The supplier's price break that applies to `quantity` (the highest minimum reached)."""
    return (
        SupplierPrice.objects.filter(
            supplier=supplier, product=product, min_quantity__lte=max(quantity, Decimal("0.001"))
        )
        .order_by("-min_quantity")
        .first()
        or SupplierPrice.objects.filter(supplier=supplier, product=product)
        .order_by("min_quantity")
        .first()
    )


# ---------------------------------------------------------------- reorder rules


def _rule_quantities(min_qty: Any, max_qty: Any) -> tuple[Decimal, Decimal]:
    values = []
    for name, value in (("min_qty", min_qty), ("max_qty", max_qty)):
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError, TypeError):
            raise field_error(name, "Enter a number.") from None
        if not number.is_finite() or number < 0:
            raise field_error(name, "Must not be negative.")
        values.append(number)
    if values[0] > values[1]:
        raise field_error("max_qty", "The maximum must be at least the minimum.")
    return values[0], values[1]


@transaction.atomic
def reorder_rule_create(
    *, product: Product, warehouse: Warehouse, min_qty: Decimal, max_qty: Decimal, **fields: Any
) -> ReorderRule:
    min_qty, max_qty = _rule_quantities(min_qty, max_qty)
    rule = ReorderRule(product=product, warehouse=warehouse, min_qty=min_qty, max_qty=max_qty)
    assign(rule, fields)
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def reorder_rule_update(*, rule: ReorderRule, **fields: Any) -> ReorderRule:
    assign(rule, fields)
    rule.min_qty, rule.max_qty = _rule_quantities(rule.min_qty, rule.max_qty)
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def reorder_rule_delete(*, rule: ReorderRule) -> None:
    rule.delete()


@transaction.atomic
def reorder_propose(*, actor: Any = None) -> list[PurchaseOrder]:
    """Draft purchase orders for every rule whose available + incoming is below its minimum.

    Orders up to the maximum, grouped by preferred supplier and warehouse. Idempotent:
    quantities already on open purchase orders (drafts included) count as incoming, so a
    second run proposes nothing new. Products without any supplier price are skipped.
    """
    from inventory.selectors import incoming_quantities

    # Lock the rules: two concurrent runs would otherwise both propose the same order.
    rules = list(
        ReorderRule.objects.select_for_update()
        .filter(active=True, product__active=True, warehouse__active=True)
        .select_related("product", "warehouse")
        .order_by("pk")
    )
    if not rules:
        return []
    incoming = incoming_quantities((r.product_id, r.warehouse_id) for r in rules)
    available = {
        (p, w): on_hand - reserved
        for p, w, on_hand, reserved in WarehouseStock.objects.filter(
            product_id__in={r.product_id for r in rules}
        ).values_list("product_id", "warehouse_id", "on_hand", "reserved")
    }
    groups: dict[tuple[int, int], list[tuple[ReorderRule, Decimal, SupplierPrice]]] = defaultdict(
        list
    )
    suppliers: dict[int, Supplier] = {}
    for rule in rules:
        key = (rule.product_id, rule.warehouse_id)
        projected = available.get(key, ZERO) + incoming.get(key, ZERO)
        if projected >= rule.min_qty:
            continue
        need = rule.max_qty - projected
        price = _preferred_price(rule.product)
        if price is None:
            continue
        need = max(need, price.min_quantity)
        suppliers[price.supplier_id] = price.supplier
        groups[(price.supplier_id, rule.warehouse_id)].append((rule, need, price))
    orders = []
    for (supplier_id, _warehouse_id), items in sorted(groups.items()):
        supplier = suppliers[supplier_id]
        orders.append(
            purchase_order_create(
                supplier=supplier,
                warehouse=items[0][0].warehouse,
                currency=items[0][2].currency,
                source=PurchaseOrder.Source.REORDER,
                notes="Proposed by the reorder rules.",
                lines=[
                    {"product": rule.product, "quantity": need, "unit_price": price.unit_price}
                    for rule, need, price in items
                ],
                actor=actor,
            )
        )
    return orders


def _preferred_price(product: Product) -> SupplierPrice | None:
    prices = SupplierPrice.objects.filter(product=product, supplier__active=True).select_related(
        "supplier"
    )
    preferred = prices.filter(preferred=True).first()
    if preferred is not None:
        # The preferred supplier's smallest break: the proposal's quantity picks no break.
        return prices.filter(supplier=preferred.supplier).order_by("min_quantity").first()
    return prices.order_by("unit_price", "min_quantity").first()


# ---------------------------------------------------------------- purchase orders


def _publish(event_type: str, order: PurchaseOrder, actor: Any, **extra: Any) -> None:
    publish(event_type, subject=order, data=purchase_order_data(order, **extra), actor=actor)


def _clean_lines(
    lines: Sequence[Mapping[str, Any]], *, supplier: Supplier
) -> list[PurchaseOrderLine]:
    if not lines:
        raise field_error("lines", "Add at least one line.")
    result = []
    for position, raw in enumerate(lines, start=1):
        product = raw.get("product")
        if not isinstance(product, Product):
            product = Product.objects.filter(pk=raw.get("product_id") or product).first()
            if product is None:
                raise field_error("lines", f"Line {position}: unknown product.")
        quantity = positive_quantity(raw.get("quantity"), field="lines")
        unit_price = raw.get("unit_price")
        if unit_price is None:
            price = supplier_price_for(supplier=supplier, product=product, quantity=quantity)
            unit_price = price.unit_price if price is not None else product.cost
        unit_price = _unit_price(unit_price, field="lines")
        result.append(
            PurchaseOrderLine(
                product=product,
                quantity=quantity,
                unit_price=unit_price,
                line_total=round_money(quantity * unit_price),
                position=position,
            )
        )
    return result


def _set_totals(order: PurchaseOrder, lines: list[PurchaseOrderLine]) -> None:
    order.subtotal = round_money(sum((line.line_total for line in lines), Decimal("0")))
    order.total = order.subtotal


def _write_lines(order: PurchaseOrder, lines: list[PurchaseOrderLine]) -> None:
    order.lines.all().delete()
    for line in lines:
        line.order = order
    PurchaseOrderLine.objects.bulk_create(lines)


def _fresh(order: PurchaseOrder) -> PurchaseOrder:
    """The order with supplier and lines' products loaded for the event payload."""
    return (
        PurchaseOrder.objects.select_related("supplier", "warehouse")
        .prefetch_related("lines__product")
        .get(pk=order.pk)
    )


def _save_and_publish(
    locked: PurchaseOrder, changed: list[str], event_type: str, actor: Any, **extra: Any
) -> PurchaseOrder:
    """Save a locked order's changed fields with the next version, then publish its state."""
    locked.version += 1
    save_changes(locked, changed)
    locked = _fresh(locked)
    _publish(event_type, locked, actor, **extra)
    return locked


@transaction.atomic
def purchase_order_create(
    *,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: Sequence[Mapping[str, Any]],
    actor: Any = None,
    **fields: Any,
) -> PurchaseOrder:
    """A draft order; a line without `unit_price` takes the supplier's price (or the cost)."""
    order = PurchaseOrder(supplier=supplier, warehouse=warehouse, currency=supplier.currency)
    assign(order, fields)
    if not warehouse.active:
        raise field_error("warehouse", "The warehouse is inactive.")
    clean = _clean_lines(lines, supplier=supplier)
    _set_totals(order, clean)
    order.number = f"tmp-{timezone.now().timestamp()}"[:20]
    order.created_by = actor if getattr(actor, "is_authenticated", False) else None
    order.full_clean(exclude=["number"])
    order.save()
    order.number = f"PO-{order.pk:06d}"
    order.save(update_fields=["number"])
    _write_lines(order, clean)
    order = _fresh(order)
    _publish("inventory.purchase_order.created", order, actor)
    return order


def _lock(order: PurchaseOrder, *allowed: str) -> PurchaseOrder:
    locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status not in allowed:
        raise InvalidStatus(
            f"Purchase order {locked.number} is {locked.get_status_display().lower()}.",
            status=locked.status,
        )
    return locked


@transaction.atomic
def purchase_order_update(
    *,
    order: PurchaseOrder,
    lines: Sequence[Mapping[str, Any]] | None = None,
    actor: Any = None,
    **fields: Any,
) -> PurchaseOrder:
    """Change a draft: its fields, and its lines (replaced when given)."""
    locked = _lock(order, Status.DRAFT)
    changed = assign(locked, fields)
    if ("warehouse_id" in changed or "warehouse" in fields) and not locked.warehouse.active:
        raise field_error("warehouse", "The warehouse is inactive.")
    if lines is not None:
        clean = _clean_lines(lines, supplier=locked.supplier)
        _set_totals(locked, clean)
        _write_lines(locked, clean)
        changed += ["subtotal", "total"]
    if not changed:
        return _fresh(locked)
    locked.full_clean()
    return _save_and_publish(locked, changed, "inventory.purchase_order.updated", actor)


@transaction.atomic
def purchase_order_send(*, order: PurchaseOrder, actor: Any = None) -> PurchaseOrder:
    locked = _lock(order, Status.DRAFT)
    if not locked.lines.exists():
        raise field_error("lines", "Add at least one line before sending.")
    locked.status = Status.SENT
    locked.sent_at = timezone.now()
    return _save_and_publish(locked, ["status", "sent_at"], "inventory.purchase_order.sent", actor)


@transaction.atomic
def purchase_order_cancel(*, order: PurchaseOrder, actor: Any = None) -> PurchaseOrder:
    """Cancel a draft or sent order (once goods came in, it can only be received)."""
    locked = _lock(order, Status.DRAFT, Status.SENT)
    locked.status = Status.CANCELLED
    locked.cancelled_at = timezone.now()
    return _save_and_publish(
        locked, ["status", "cancelled_at"], "inventory.purchase_order.cancelled", actor
    )


@transaction.atomic
def purchase_order_receive(
    *,
    order: PurchaseOrder,
    lines: Sequence[Mapping[str, Any]] | None = None,
    actor: Any = None,
) -> PurchaseOrder:
    """Receive goods: `lines` [{"line": id, "quantity": q}], or None for all outstanding.

    Receipt moves go into the order's warehouse (default location) at the line's unit
    price. More than outstanding on any line: OverReceipt (409), nothing is received.
    """
    locked = _lock(order, Status.SENT, Status.PARTIALLY_RECEIVED)
    order_lines = {line.pk: line for line in locked.lines.select_related("product")}
    wanted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    if lines is None:
        for line in order_lines.values():
            if line.quantity_outstanding > 0:
                wanted[line.pk] = line.quantity_outstanding
    else:
        for raw in lines:
            line_id = raw.get("line") or raw.get("line_id")
            if hasattr(line_id, "pk"):
                line_id = line_id.pk
            if line_id not in order_lines:
                raise field_error("lines", f"Line {line_id} is not on this order.")
            wanted[line_id] += positive_quantity(raw.get("quantity"), field="lines")
    if not wanted:
        raise OverReceipt("Nothing is outstanding on this order.")
    over = [
        {
            "line": line_id,
            "sku": order_lines[line_id].product.sku,
            "requested": qty(quantity),
            "outstanding": qty(order_lines[line_id].quantity_outstanding),
        }
        for line_id, quantity in sorted(wanted.items())
        if quantity > order_lines[line_id].quantity_outstanding
    ]
    if over:
        raise OverReceipt(lines=over)
    batch = _Batch(reference=po_reference(locked), actor=actor)
    received = sorted(wanted.items(), key=lambda item: (order_lines[item[0]].product_id, item[0]))
    batch.lock((order_lines[line_id].product_id, locked.warehouse_id) for line_id, _ in received)
    receipt = []
    for line_id, quantity in received:
        line = order_lines[line_id]
        _receive(
            batch,
            product=line.product,
            warehouse=locked.warehouse,
            quantity=quantity,
            unit_cost=line.unit_price,
            location=None,
            note=locked.number,
        )
        line.quantity_received += quantity
        line.save(update_fields=["quantity_received"])
        receipt.append(
            {"product_id": line.product_id, "sku": line.product.sku, "quantity": qty(quantity)}
        )
    batch.finish()
    done = all(line.quantity_outstanding <= 0 for line in order_lines.values())
    locked.status = Status.RECEIVED if done else Status.PARTIALLY_RECEIVED
    if done:
        locked.received_at = timezone.now()
    return _save_and_publish(
        locked,
        ["status", "received_at"],
        "inventory.purchase_order.received",
        actor,
        receipt=receipt,
    )


def receipt_moves(order: PurchaseOrder):
    return StockMove.objects.filter(reference=po_reference(order), kind=StockMove.Kind.RECEIPT)
