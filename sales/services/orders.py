"""Sales order services: draft → confirmed → partially shipped → shipped → closed, or cancelled.

Confirming reserves the stock through `inventory.services.stock_reserve` in the same
transaction: every line is reserved and the order confirmed, or inventory raises
`InsufficientStock` and nothing changes. Shipping fulfils reservations into deliveries;
cancelling releases what is still reserved. Reservations are recorded under the order's
`stock_reference` ("sales.order:<id>").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.models import Account, Contact
from integration.events import publish
from inventory import services as inventory
from inventory.models import Warehouse
from inventory.selectors import default_warehouse
from sales.errors import (
    InvalidTransition,
    NothingToShip,
    NoWarehouse,
    OrderAlreadyShipped,
    OverShipment,
)
from sales.events import order_data
from sales.models import OrderLine, Quote, SalesOrder
from sales.services.base import (
    assign_number,
    build_lines,
    bump,
    lines_with_products,
    lock,
    replace_lines,
    set_totals,
    update_draft,
)
from sales.services.pricing import price_for

S = SalesOrder.Status
_EDITABLE = (
    "contact",
    "contact_id",
    "warehouse",
    "warehouse_id",
    "currency",
    "notes",
    "owner",
    "owner_id",
)


def _publish(
    event_type: str,
    order: SalesOrder,
    lines: list[OrderLine] | None = None,
    actor: Any = None,
    **extra: Any,
) -> None:
    lines = lines_with_products(order, "lines") if lines is None else lines
    publish(
        event_type,
        subject=order,
        data={**order_data(order, lines), **extra},
        customer_id=order.account_id,
        actor=actor,
    )


def _check_contact(account_id: int, contact: Contact | None) -> None:
    if contact is not None and contact.account_id != account_id:
        raise ValidationError({"contact": ["The contact belongs to another account."]})


def _priced_lines(
    order: SalesOrder, account: Account, lines: Sequence[Mapping[str, Any]]
) -> list[OrderLine]:
    def price(product, quantity):
        return price_for(
            product=product, account=account, quantity=quantity, currency=order.currency
        )

    built = build_lines(OrderLine, lines, price=price, exclude=("order",))
    set_totals(order, built)
    return built


@transaction.atomic
def order_create(
    *,
    account: Account,
    lines: Sequence[Mapping[str, Any]],
    warehouse: Warehouse | None = None,
    contact: Contact | None = None,
    currency: str | None = None,
    quote: Quote | None = None,
    notes: str = "",
    owner: Any = None,
    actor: Any = None,
) -> SalesOrder:
    """A draft order. Lines without `unit_price` are priced from the price lists (else the
    product's sales price); no warehouse: the default one; no currency: the account's."""
    warehouse = warehouse or default_warehouse()
    if warehouse is None:
        raise NoWarehouse()
    _check_contact(account.pk, contact)
    if owner is None and getattr(actor, "is_authenticated", False):
        owner = actor
    order = SalesOrder(
        account=account,
        contact=contact,
        quote=quote,
        warehouse=warehouse,
        currency=currency or account.currency,
        notes=notes or "",
        owner=owner,
    )
    built = _priced_lines(order, account, lines)
    order.full_clean(exclude=["number"])
    order.save()
    assign_number(order, "SO")
    saved = replace_lines(order, "lines", built)
    _publish("sales.order.created", order, saved, actor)
    return order


@transaction.atomic
def order_update(
    *,
    order: SalesOrder,
    lines: Sequence[Mapping[str, Any]] | None = None,
    actor: Any = None,
    **fields: Any,
) -> SalesOrder:
    """Change a draft: header fields and/or its lines (`lines` replace all of them)."""
    saved = update_draft(
        order,
        fields,
        lines,
        editable=_EDITABLE,
        plural="orders",
        function="order_update",
        check=lambda o: _check_contact(o.account_id, o.contact),
        price_lines=lambda o, new_lines: _priced_lines(o, o.account, new_lines),
    )
    _publish("sales.order.updated", order, saved, actor)
    return order


def _reserve_lines(order: SalesOrder, quantities: Mapping[int, Decimal]) -> list:
    """ReserveLines of tracked products, summed per product (`quantities`: line id → qty)."""
    per_product: dict[int, Decimal] = defaultdict(Decimal)
    for line in order.lines.select_related("product"):
        quantity = quantities.get(line.pk)
        if quantity and line.product.tracked:
            per_product[line.product_id] += quantity
    return [
        inventory.ReserveLine(product_id=pid, warehouse_id=order.warehouse_id, quantity=qty)
        for pid, qty in sorted(per_product.items())
    ]


@transaction.atomic
def order_confirm(*, order: SalesOrder, actor: Any = None) -> SalesOrder:
    """Reserve every line's stock and confirm; short stock raises inventory's
    `InsufficientStock` (409 "insufficient_stock" with the short `lines`) and changes nothing."""
    lock(order)
    if order.status != S.DRAFT:
        raise InvalidTransition(status=order.status, action="confirm")
    lines = lines_with_products(order, "lines")
    if not lines:
        raise ValidationError({"lines": ["An order without lines cannot be confirmed."]})
    reserve = _reserve_lines(order, {line.pk: line.quantity for line in lines})
    if reserve:
        inventory.stock_reserve(lines=reserve, reference=order.stock_reference, actor=actor)
    order.status = S.CONFIRMED
    order.confirmed_at = timezone.now()
    bump(order, ["status", "confirmed_at"])
    _publish("sales.order.confirmed", order, lines, actor)
    return order


def _shipment(
    lines: list[OrderLine], wanted: Sequence[Mapping[str, Any]] | None
) -> dict[int, Decimal]:
    """Line id → quantity to ship now; None ships everything outstanding."""
    by_id = {line.pk: line for line in lines}
    if wanted is None:
        return {
            line.pk: line.quantity_outstanding for line in lines if line.quantity_outstanding > 0
        }
    result: dict[int, Decimal] = defaultdict(Decimal)
    for index, item in enumerate(wanted):
        line = item.get("line")
        line_id = line.pk if isinstance(line, OrderLine) else line
        if line_id not in by_id:
            raise ValidationError({"lines": [f"Item {index + 1}: not a line of this order."]})
        try:
            quantity = Decimal(str(item.get("quantity")))
        except (InvalidOperation, TypeError, ValueError):
            raise ValidationError(
                {"lines": [f"Item {index + 1}: a quantity is required."]}
            ) from None
        if not quantity.is_finite() or quantity <= 0:
            raise ValidationError({"lines": [f"Item {index + 1}: must be greater than zero."]})
        result[line_id] += quantity
    for line_id, quantity in result.items():
        line = by_id[line_id]
        if quantity > line.quantity_outstanding:
            raise OverShipment(
                f"Line {line.position}: {quantity} asked, {line.quantity_outstanding} outstanding.",
                line=line_id,
                outstanding=f"{line.quantity_outstanding:.3f}",
            )
    return dict(result)


@transaction.atomic
def order_ship(
    *,
    order: SalesOrder,
    lines: Sequence[Mapping[str, Any]] | None = None,
    actor: Any = None,
) -> SalesOrder:
    """Ship `lines` (`[{"line": OrderLine or id, "quantity": Decimal}]`) or, with None,
    everything outstanding: the reservations become deliveries. Partly shipped orders are
    `partially_shipped`, fully shipped ones `shipped`."""
    lock(order)
    if order.status not in (S.CONFIRMED, S.PARTIALLY_SHIPPED):
        raise InvalidTransition(status=order.status, action="ship")
    order_lines = lines_with_products(order, "lines")
    shipment = _shipment(order_lines, lines)
    if not shipment:
        raise NothingToShip()
    fulfil = _reserve_lines(order, shipment)
    if fulfil:
        inventory.stock_fulfil(reference=order.stock_reference, lines=fulfil, actor=actor)
    shipped_lines = []
    for line in order_lines:
        quantity = shipment.get(line.pk)
        if quantity:
            line.quantity_shipped += quantity
            shipped_lines.append(line)
    OrderLine.objects.bulk_update(shipped_lines, ["quantity_shipped"])
    if all(line.quantity_outstanding == 0 for line in order_lines):
        order.status = S.SHIPPED
        order.shipped_at = timezone.now()
    else:
        order.status = S.PARTIALLY_SHIPPED
    bump(order, ["status", "shipped_at"])
    shipped: dict[int, Decimal] = defaultdict(Decimal)
    products = {}
    for line in order_lines:
        if line.pk in shipment:
            shipped[line.product_id] += shipment[line.pk]
            products[line.product_id] = line.product
    _publish(
        "sales.order.shipped",
        order,
        order_lines,
        actor,
        shipment={
            "lines": [
                {"product_id": pid, "sku": products[pid].sku, "quantity": f"{qty:.3f}"}
                for pid, qty in sorted(shipped.items())
            ]
        },
    )
    return order


@transaction.atomic
def order_cancel(*, order: SalesOrder, actor: Any = None) -> SalesOrder:
    """Cancel a draft, confirmed or partly shipped order; what is still reserved is released
    (shipped goods stay shipped). A fully shipped or closed order cannot be cancelled."""
    lock(order)
    if order.status in (S.SHIPPED, S.CLOSED):
        raise OrderAlreadyShipped(status=order.status)
    if order.status == S.CANCELLED:
        raise InvalidTransition(status=order.status, action="cancel")
    if order.status in (S.CONFIRMED, S.PARTIALLY_SHIPPED):
        inventory.stock_release(reference=order.stock_reference, actor=actor)
    order.status = S.CANCELLED
    order.cancelled_at = timezone.now()
    bump(order, ["status", "cancelled_at"])
    _publish("sales.order.cancelled", order, actor=actor)
    return order


@transaction.atomic
def order_close(*, order: SalesOrder, actor: Any = None) -> SalesOrder:
    """Close a shipped order (the end of its life: invoiced, settled, filed)."""
    lock(order)
    if order.status != S.SHIPPED:
        raise InvalidTransition(status=order.status, action="close")
    order.status = S.CLOSED
    order.closed_at = timezone.now()
    bump(order, ["status", "closed_at"])
    _publish("sales.order.closed", order, actor=actor)
    return order
