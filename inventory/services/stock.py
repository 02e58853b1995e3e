"""Stock services: receipts, adjustments, transfers, and the reserve → fulfil/release cycle.

Every change is a new `StockMove` plus the balance rows it affects, in one transaction.
Locks are always taken in the same order so that concurrent callers cannot deadlock:
`WarehouseStock` rows sorted by (product, warehouse), then `StockBalance` rows, then
`Reservation` rows. The database CHECKs (reserved >= 0, on_hand >= reserved,
location on_hand >= 0) hold whatever a caller does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integration.changes import field_error
from integration.events import publish
from integration.rounding import round_money, round_quantity
from inventory.errors import (
    InactiveWarehouse,
    InsufficientStock,
    OverFulfilment,
    StockBelowReserved,
)
from inventory.events import product_data, qty, stock_data
from inventory.models import (
    Location,
    Product,
    ReorderRule,
    Reservation,
    StockBalance,
    StockMove,
    Warehouse,
    WarehouseStock,
)
from inventory.services.base import ZERO, positive_quantity, user_of

Key = tuple[int, int]  # (product_id, warehouse_id)


@dataclass(frozen=True)
class ReserveLine:
    """A quantity of a product in a warehouse: what to reserve, or to fulfil."""

    product_id: int
    warehouse_id: int
    quantity: Decimal


# ---------------------------------------------------------------- the ledger engine


@dataclass
class _Batch:
    """Locked stock rows of one service call, the moves it posts, and what to publish."""

    reference: str
    actor: Any
    stocks: dict[Key, WarehouseStock] = field(default_factory=dict)
    before: dict[Key, Decimal] = field(default_factory=dict)  # available when locked
    products: dict[int, Product] = field(default_factory=dict)
    warehouses: dict[int, Warehouse] = field(default_factory=dict)
    moves: list[StockMove] = field(default_factory=list)
    touched: set[Key] = field(default_factory=set)

    def lock(self, keys: Iterable[Key]) -> None:
        """Lock (creating if missing) the WarehouseStock rows of `keys`, in a stable order."""
        wanted = sorted(set(keys) - set(self.stocks))
        if not wanted:
            return
        self._load_refs(wanted)
        rows = _select_stock(wanted)
        missing = [key for key in wanted if key not in rows]
        if missing:
            WarehouseStock.objects.bulk_create(
                [WarehouseStock(product_id=p, warehouse_id=w) for p, w in missing],
                ignore_conflicts=True,
            )
            rows = _select_stock(wanted)
        for key in wanted:
            stock = rows[key]
            self.stocks[key] = stock
            self.before[key] = stock.on_hand - stock.reserved

    def _load_refs(self, keys: list[Key]) -> None:
        product_ids = {p for p, _ in keys} - set(self.products)
        warehouse_ids = {w for _, w in keys} - set(self.warehouses)
        if product_ids:
            self.products.update(Product.objects.in_bulk(product_ids))
        if warehouse_ids:
            self.warehouses.update(Warehouse.objects.in_bulk(warehouse_ids))
        for p, w in keys:
            if p not in self.products:
                raise field_error("product", f"Product {p} does not exist.")
            if w not in self.warehouses:
                raise field_error("warehouse", f"Warehouse {w} does not exist.")

    def post(
        self,
        kind: str,
        *,
        product_id: int,
        warehouse_id: int,
        quantity: Decimal,
        from_location: Location | None = None,
        to_location: Location | None = None,
        reserved_delta: Decimal = ZERO,
        unit_cost: Decimal | None = None,
        note: str = "",
    ) -> StockMove:
        """Record one move and apply it to the balances (the locked rows and locations)."""
        product = self.products[product_id]
        move = StockMove(
            kind=kind,
            product_id=product_id,
            warehouse_id=warehouse_id,
            quantity=quantity,
            from_location=from_location,
            to_location=to_location,
            reserved_delta=reserved_delta,
            unit_cost=product.cost if unit_cost is None else unit_cost,
            reference=self.reference,
            note=note[:200],
            actor=user_of(self.actor),
        )
        self.moves.append(move)
        if from_location is not None:
            key = (product_id, from_location.warehouse_id)
            self.stocks[key].on_hand -= quantity
            self.touched.add(key)
            _change_location(product_id, from_location, -quantity)
        if to_location is not None:
            key = (product_id, to_location.warehouse_id)
            self.stocks[key].on_hand += quantity
            self.touched.add(key)
            _change_location(product_id, to_location, quantity)
        if reserved_delta:
            key = (product_id, warehouse_id)
            self.stocks[key].reserved += reserved_delta
            self.touched.add(key)
        return move

    def finish(self) -> None:
        """Write the moves and balances, then publish what changed."""
        StockMove.objects.bulk_create(self.moves)
        for key in sorted(self.touched):
            self.stocks[key].save(update_fields=["on_hand", "reserved"])
        rules = _rules_for(self.touched)
        for key in sorted(self.touched):
            stock = self.stocks[key]
            product = self.products[key[0]]
            warehouse = self.warehouses[key[1]]
            publish(
                "inventory.stock.changed",
                subject=product,
                data=stock_data(
                    stock, product=product, warehouse=warehouse, reference=self.reference
                ),
                actor=self.actor,
            )
            rule = rules.get(key)
            available = stock.on_hand - stock.reserved
            if rule is not None and available < rule.min_qty <= self.before[key]:
                publish(
                    "inventory.stock.low",
                    subject=product,
                    data={
                        "product_id": product.pk,
                        "sku": product.sku,
                        "warehouse_id": warehouse.pk,
                        "warehouse_code": warehouse.code,
                        "available": qty(available),
                        "min_qty": qty(rule.min_qty),
                        "max_qty": qty(rule.max_qty),
                    },
                    actor=self.actor,
                )


def _select_stock(keys: list[Key]) -> dict[Key, WarehouseStock]:
    from django.db.models import Q

    condition = Q()
    for p, w in keys:
        condition |= Q(product_id=p, warehouse_id=w)
    rows = (
        WarehouseStock.objects.select_for_update()
        .filter(condition)
        .order_by("product_id", "warehouse_id")
    )
    return {(row.product_id, row.warehouse_id): row for row in rows}


def _change_location(product_id: int, location: Location, delta: Decimal) -> None:
    updated = StockBalance.objects.filter(product_id=product_id, location=location).update(
        on_hand=F("on_hand") + delta
    )
    if not updated:
        # A first move into this location (the warehouse row lock serialises creators).
        StockBalance.objects.create(product_id=product_id, location=location, on_hand=delta)


def _rules_for(keys: set[Key]) -> dict[Key, ReorderRule]:
    if not keys:
        return {}
    product_ids = {p for p, _ in keys}
    rules = ReorderRule.objects.filter(product_id__in=product_ids, active=True)
    return {
        (rule.product_id, rule.warehouse_id): rule
        for rule in rules
        if (rule.product_id, rule.warehouse_id) in keys
    }


def _default_location(warehouse: Warehouse) -> Location:
    location = Location.objects.filter(warehouse=warehouse, is_default=True).first()
    if location is None:  # a warehouse made outside the services
        location = Location.objects.create(
            warehouse=warehouse, code="STOCK", name="Stock", is_default=True
        )
    return location


def _location_for(warehouse: Warehouse, location: Location | None) -> Location:
    if location is None:
        return _default_location(warehouse)
    if location.warehouse_id != warehouse.pk:
        raise field_error("location", "The location is not in this warehouse.")
    return location


def _take_from_locations(
    product_id: int, warehouse_id: int, quantity: Decimal
) -> list[tuple[Location, Decimal]]:
    """Where in the warehouse to take `quantity` from: the default location first."""
    balances = (
        StockBalance.objects.select_for_update(of=("self",))
        .filter(product_id=product_id, location__warehouse_id=warehouse_id, on_hand__gt=0)
        .select_related("location")
        .order_by("-location__is_default", "location__code", "location_id")
    )
    parts: list[tuple[Location, Decimal]] = []
    left = quantity
    for balance in balances:
        if left <= 0:
            break
        take = min(balance.on_hand, left)
        parts.append((balance.location, take))
        left -= take
    if left > 0:
        # The warehouse figure says the stock is there; the locations must agree.
        raise StockBelowReserved("The warehouse's locations do not hold enough stock.")
    return parts


def _short_line(batch: _Batch, key: Key, requested: Decimal, available: Decimal) -> dict:
    return {
        "product": key[0],
        "sku": batch.products[key[0]].sku,
        "warehouse": key[1],
        "requested": qty(requested),
        "available": qty(max(available, ZERO)),
    }


def _check_active(warehouse: Warehouse) -> None:
    if not warehouse.active:
        raise InactiveWarehouse()


# ---------------------------------------------------------------- receipts, adjustments


def _receive(
    batch: _Batch,
    *,
    product: Product,
    warehouse: Warehouse,
    quantity: Decimal,
    unit_cost: Decimal | None,
    location: Location | None,
    note: str = "",
) -> StockMove:
    """Post a receipt into a locked batch and move the product's average cost."""
    location = _location_for(warehouse, location)
    if unit_cost is not None:
        unit_cost = round_money(unit_cost)
        if unit_cost < 0:
            raise field_error("unit_cost", "Must not be negative.")
        locked = Product.objects.select_for_update().get(pk=product.pk)
        # On hand over all warehouses, counting this batch's unsaved moves.
        in_batch = {w: s.on_hand for (p, w), s in batch.stocks.items() if p == product.pk}
        elsewhere = (
            WarehouseStock.objects.filter(product_id=product.pk)
            .exclude(warehouse_id__in=in_batch)
            .values_list("on_hand", flat=True)
        )
        total_on_hand = sum(elsewhere, ZERO) + sum(in_batch.values(), ZERO)
        if total_on_hand > 0:
            new_cost = round_money(
                (total_on_hand * locked.cost + quantity * unit_cost) / (total_on_hand + quantity)
            )
        else:
            new_cost = unit_cost
        if new_cost != locked.cost:
            Product.objects.filter(pk=product.pk).update(
                cost=new_cost, version=F("version") + 1, updated_at=timezone.now()
            )
            locked.refresh_from_db(fields=["cost", "version", "updated_at"])
            product.cost, product.version = locked.cost, locked.version
            batch.products[product.pk] = product
            publish(
                "inventory.product.updated",
                subject=product,
                data=product_data(product),
                actor=batch.actor,
            )
    return batch.post(
        StockMove.Kind.RECEIPT,
        product_id=product.pk,
        warehouse_id=warehouse.pk,
        quantity=quantity,
        to_location=location,
        unit_cost=unit_cost,
        note=note,
    )


@transaction.atomic
def stock_receive(
    *,
    product: Product,
    warehouse: Warehouse,
    quantity: Decimal,
    unit_cost: Decimal | None = None,
    location: Location | None = None,
    reference: str = "manual",
    note: str = "",
    actor: Any = None,
) -> StockMove:
    """Goods come in: on hand rises; with a unit cost, the average cost moves."""
    quantity = positive_quantity(quantity)
    _check_active(warehouse)
    batch = _Batch(reference=reference, actor=actor)
    batch.lock([(product.pk, warehouse.pk)])
    move = _receive(
        batch,
        product=product,
        warehouse=warehouse,
        quantity=quantity,
        unit_cost=unit_cost,
        location=location,
        note=note,
    )
    batch.finish()
    return move


@transaction.atomic
def stock_adjust(
    *,
    product: Product,
    warehouse: Warehouse,
    quantity: Decimal,
    location: Location | None = None,
    reference: str = "manual",
    note: str = "",
    actor: Any = None,
) -> StockMove:
    """Correct on hand by a signed `quantity` (a count found more or less than the books).

    On hand may not go below what is reserved: StockBelowReserved (409).
    """
    try:
        delta = Decimal(str(quantity))
    except ArithmeticError:
        raise field_error("quantity", "Enter a number.") from None
    if not delta.is_finite() or delta == 0:
        raise field_error("quantity", "Must not be zero.")
    if delta != round_quantity(delta):
        raise field_error("quantity", "At most 3 decimal places.")
    batch = _Batch(reference=reference, actor=actor)
    key = (product.pk, warehouse.pk)
    batch.lock([key])
    location = _location_for(warehouse, location)
    if delta > 0:
        move = batch.post(
            StockMove.Kind.ADJUSTMENT,
            product_id=product.pk,
            warehouse_id=warehouse.pk,
            quantity=delta,
            to_location=location,
            note=note,
        )
    else:
        amount = -delta
        stock = batch.stocks[key]
        at_location = (
            StockBalance.objects.select_for_update()
            .filter(product=product, location=location)
            .values_list("on_hand", flat=True)
            .first()
        ) or ZERO
        if stock.on_hand - amount < stock.reserved or at_location < amount:
            raise StockBelowReserved(
                f"Only {qty(min(stock.on_hand - stock.reserved, at_location))} of "
                f"{product.sku} can be taken out: the rest is reserved or not there.",
                available=qty(max(min(stock.on_hand - stock.reserved, at_location), ZERO)),
            )
        move = batch.post(
            StockMove.Kind.ADJUSTMENT,
            product_id=product.pk,
            warehouse_id=warehouse.pk,
            quantity=amount,
            from_location=location,
            note=note,
        )
    batch.finish()
    return move


@transaction.atomic
def stock_transfer(
    *,
    product: Product,
    from_location: Location,
    to_location: Location,
    quantity: Decimal,
    reference: str = "manual",
    note: str = "",
    actor: Any = None,
) -> StockMove:
    """Move stock between locations (of one warehouse, or of two: then availability counts)."""
    quantity = positive_quantity(quantity)
    if from_location.pk == to_location.pk:
        raise field_error("to_location", "Choose another location.")
    source = (product.pk, from_location.warehouse_id)
    target = (product.pk, to_location.warehouse_id)
    batch = _Batch(reference=reference, actor=actor)
    batch.lock([source, target])
    _check_active(batch.warehouses[to_location.warehouse_id])
    at_location = (
        StockBalance.objects.select_for_update()
        .filter(product=product, location=from_location)
        .values_list("on_hand", flat=True)
        .first()
    ) or ZERO
    stock = batch.stocks[source]
    leaves_warehouse = source != target
    if at_location < quantity or (leaves_warehouse and stock.on_hand - quantity < stock.reserved):
        raise StockBelowReserved(
            f"Not enough unreserved {product.sku} at {from_location} to transfer {qty(quantity)}."
        )
    move = batch.post(
        StockMove.Kind.TRANSFER,
        product_id=product.pk,
        warehouse_id=from_location.warehouse_id,
        quantity=quantity,
        from_location=from_location,
        to_location=to_location,
        note=note,
    )
    batch.finish()
    return move


# ---------------------------------------------------------------- reservations


def _sum_lines(lines: Sequence[ReserveLine]) -> dict[Key, Decimal]:
    wanted: dict[Key, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        quantity = Decimal(str(line.quantity))
        if quantity < 0:
            raise field_error("quantity", "Must not be negative.")
        wanted[(int(line.product_id), int(line.warehouse_id))] += quantity
    return {key: round_quantity(q) for key, q in wanted.items() if q > 0}


def _tracked(keys: Iterable[Key]) -> set[int]:
    """The stock-tracked products among `keys`; an unknown product is an error."""
    product_ids = {p for p, _ in keys}
    flags = dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "tracked"))
    unknown = product_ids - set(flags)
    if unknown:
        raise field_error("product", f"Unknown product id(s): {sorted(unknown)}.")
    return {pk for pk, tracked in flags.items() if tracked}


@transaction.atomic
def stock_reserve(*, lines: Sequence[ReserveLine], reference: str, actor: Any = None) -> None:
    """Reserve every line or nothing: InsufficientStock names each short product.

    Lines for the same product and warehouse are summed; untracked products are skipped.
    """
    wanted = _sum_lines(lines)
    tracked = _tracked(wanted)
    wanted = {key: q for key, q in wanted.items() if key[0] in tracked}
    if not wanted:
        return
    batch = _Batch(reference=reference, actor=actor)
    batch.lock(wanted)
    short = [
        _short_line(batch, key, q, batch.stocks[key].on_hand - batch.stocks[key].reserved)
        for key, q in sorted(wanted.items())
        if batch.stocks[key].on_hand - batch.stocks[key].reserved < q
    ]
    if short:
        skus = ", ".join(line["sku"] for line in short)
        raise InsufficientStock(f"Not enough stock available for {skus}.", lines=short)
    existing = {
        (r.product_id, r.warehouse_id): r
        for r in Reservation.objects.select_for_update().filter(
            reference=reference,
            product_id__in={p for p, _ in wanted},
            warehouse_id__in={w for _, w in wanted},
        )
    }
    for key, quantity in sorted(wanted.items()):
        batch.post(
            StockMove.Kind.RESERVATION,
            product_id=key[0],
            warehouse_id=key[1],
            quantity=quantity,
            reserved_delta=quantity,
        )
        reservation = existing.get(key)
        if reservation is None:
            Reservation.objects.create(
                reference=reference, product_id=key[0], warehouse_id=key[1], quantity=quantity
            )
        else:
            reservation.quantity += quantity
            reservation.save(update_fields=["quantity", "updated_at"])
    batch.finish()


def _open_reservations(reference: str) -> list[Reservation]:
    return list(
        Reservation.objects.filter(reference=reference, quantity__gt=0).order_by(
            "product_id", "warehouse_id"
        )
    )


def _lock_reservations(batch: _Batch, reference: str) -> dict[Key, Reservation]:
    """Lock the stock rows of the reference's reservations, then the reservations."""
    keys = [(r.product_id, r.warehouse_id) for r in _open_reservations(reference)]
    if not keys:
        return {}
    batch.lock(keys)
    rows = (
        Reservation.objects.select_for_update()
        .filter(reference=reference, quantity__gt=0)
        .order_by("product_id", "warehouse_id")
    )
    return {(r.product_id, r.warehouse_id): r for r in rows}


@transaction.atomic
def stock_release(*, reference: str, actor: Any = None) -> None:
    """Release whatever is still reserved under `reference`; nothing reserved: no-op."""
    batch = _Batch(reference=reference, actor=actor)
    reservations = _lock_reservations(batch, reference)
    if not reservations:
        return
    for key, reservation in sorted(reservations.items()):
        batch.lock([key])  # a reservation made between the two reads
        quantity = reservation.quantity
        batch.post(
            StockMove.Kind.RESERVATION_RELEASE,
            product_id=key[0],
            warehouse_id=key[1],
            quantity=quantity,
            reserved_delta=-quantity,
        )
        reservation.quantity = ZERO
        reservation.quantity_released += quantity
        reservation.save(update_fields=["quantity", "quantity_released", "updated_at"])
    batch.finish()


@transaction.atomic
def stock_fulfil(
    *,
    reference: str,
    lines: Sequence[ReserveLine] | None = None,
    actor: Any = None,
) -> None:
    """Deliver reserved stock: on hand and reserved both go down (delivery moves).

    `lines=None` delivers everything still reserved under `reference`; given lines may not
    exceed what is still reserved for their product and warehouse (OverFulfilment, 409).
    Lines of untracked products are skipped.
    """
    batch = _Batch(reference=reference, actor=actor)
    reservations = _lock_reservations(batch, reference)
    if lines is None:
        wanted = {key: r.quantity for key, r in reservations.items()}
    else:
        wanted = _sum_lines(lines)
        tracked = _tracked(wanted)
        wanted = {key: q for key, q in wanted.items() if key[0] in tracked}
        over = [
            {
                "product": key[0],
                "warehouse": key[1],
                "requested": qty(q),
                "reserved": qty(reservations[key].quantity if key in reservations else ZERO),
            }
            for key, q in sorted(wanted.items())
            if key not in reservations or reservations[key].quantity < q
        ]
        if over:
            raise OverFulfilment(lines=over)
    if not wanted:
        return
    for key, quantity in sorted(wanted.items()):
        for location, part in _take_from_locations(key[0], key[1], quantity):
            batch.post(
                StockMove.Kind.DELIVERY,
                product_id=key[0],
                warehouse_id=key[1],
                quantity=part,
                from_location=location,
                reserved_delta=-part,
            )
        reservation = reservations[key]
        reservation.quantity -= quantity
        reservation.quantity_fulfilled += quantity
        reservation.save(update_fields=["quantity", "quantity_fulfilled", "updated_at"])
    batch.finish()
