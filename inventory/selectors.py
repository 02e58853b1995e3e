"""Inventory reads shared by pages, API and other apps: stock figures, reports, the ledger.

Public API for other apps: `default_warehouse()`, `stock_levels(...)`, `StockLevel`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from inventory.models import (
    Location,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    StockBalance,
    StockMove,
    Warehouse,
    WarehouseStock,
)

ZERO = Decimal("0.000")
QTY = DecimalField(max_digits=14, decimal_places=3)
MONEY = DecimalField(max_digits=18, decimal_places=2)


@dataclass(frozen=True)
class StockLevel:
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


def default_warehouse() -> Warehouse | None:
    return Warehouse.objects.filter(is_default=True).first()


def stock_levels(
    *, product_ids: Iterable[int], warehouse_id: int | None = None
) -> dict[int, StockLevel]:
    """On hand, reserved and available per product (summed over warehouses unless one).

    Every requested product is in the answer; one without stock has zeros.
    """
    ids = list(product_ids)
    rows = WarehouseStock.objects.filter(product_id__in=ids)
    if warehouse_id is not None:
        rows = rows.filter(warehouse_id=warehouse_id)
    sums = {
        row["product_id"]: row
        for row in rows.values("product_id").annotate(
            on_hand=Sum("on_hand"), reserved=Sum("reserved")
        )
    }
    result = {}
    for pk in ids:
        row = sums.get(pk)
        on_hand = row["on_hand"] if row else ZERO
        reserved = row["reserved"] if row else ZERO
        result[pk] = StockLevel(on_hand, reserved, on_hand - reserved)
    return result


def _stock_sum(field: str, warehouse_id: int | None) -> Coalesce:
    rows = WarehouseStock.objects.filter(product=OuterRef("pk"))
    if warehouse_id is not None:
        rows = rows.filter(warehouse_id=warehouse_id)
    total = rows.values("product").annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(total, output_field=QTY), Value(ZERO), output_field=QTY)


def with_stock(queryset: QuerySet, *, warehouse_id: int | None = None) -> QuerySet:
    """Annotate products with on_hand, reserved and available (all warehouses, or one)."""
    return queryset.annotate(
        on_hand=_stock_sum("on_hand", warehouse_id),
        reserved=_stock_sum("reserved", warehouse_id),
    ).annotate(
        available=ExpressionWrapper(F("on_hand") - F("reserved"), output_field=QTY),
    )


def _low_rule(warehouse_id: int | None) -> Exists:
    """A rule of the product whose warehouse's available stock is below its minimum."""
    stock = WarehouseStock.objects.filter(
        product=OuterRef("product"), warehouse=OuterRef("warehouse")
    ).annotate(available=F("on_hand") - F("reserved"))
    rules = ReorderRule.objects.filter(product=OuterRef("pk"), active=True).annotate(
        available=Coalesce(
            Subquery(stock.values("available")[:1], output_field=QTY),
            Value(ZERO),
            output_field=QTY,
        )
    )
    if warehouse_id is not None:
        rules = rules.filter(warehouse_id=warehouse_id)
    return Exists(rules.filter(available__lt=F("min_qty")))


def product_search_q(term: str) -> Q:
    """What a product search matches: part of the SKU or name, or the whole barcode."""
    return Q(sku__icontains=term) | Q(name__icontains=term) | Q(barcode=term)


def product_list(
    *,
    search: str = "",
    category_id: int | None = None,
    active: bool | None = None,
    tracked: bool | None = None,
    low_stock: bool | None = None,
    warehouse_id: int | None = None,
) -> QuerySet[Product]:
    """Products with stock figures and a stock status, filtered."""
    queryset = with_stock(Product.objects.select_related("category"), warehouse_id=warehouse_id)
    queryset = queryset.annotate(is_low=_low_rule(warehouse_id))
    if search:
        queryset = queryset.filter(product_search_q(search))
    if category_id is not None:
        descendants = category_tree_ids(category_id)
        queryset = queryset.filter(category_id__in=descendants)
    if active is not None:
        queryset = queryset.filter(active=active)
    if tracked is not None:
        queryset = queryset.filter(tracked=tracked)
    if low_stock is not None:
        queryset = queryset.filter(is_low=low_stock)
    return queryset


def category_tree_ids(category_id: int) -> list[int]:
    """The category and all its descendants."""
    from inventory.models import Category

    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    result, todo = [], [category_id]
    while todo:
        pk = todo.pop()
        if pk in result:
            continue
        result.append(pk)
        todo.extend(children.get(pk, []))
    return result


def stock_status(product: Product) -> str:
    """ "untracked", "out", "low" or "in" for a product from product_list()."""
    if not product.tracked:
        return "untracked"
    if product.available <= 0:
        return "out"
    if getattr(product, "is_low", False):
        return "low"
    return "in"


def product_stock_by_warehouse(product: Product) -> list[dict]:
    """Each warehouse's figures for one product (warehouses without stock show zeros)."""
    rows = {row.warehouse_id: row for row in WarehouseStock.objects.filter(product=product)}
    rules = {r.warehouse_id: r for r in ReorderRule.objects.filter(product=product)}
    result = []
    for warehouse in Warehouse.objects.filter(Q(active=True) | Q(pk__in=list(rows))):
        row = rows.get(warehouse.pk)
        on_hand = row.on_hand if row else ZERO
        reserved = row.reserved if row else ZERO
        result.append(
            {
                "warehouse": warehouse,
                "on_hand": on_hand,
                "reserved": reserved,
                "available": on_hand - reserved,
                "rule": rules.get(warehouse.pk),
                "value": (on_hand * product.cost).quantize(Decimal("0.01")),
            }
        )
    return result


def stock_moves(*, product_id: int | None = None, warehouse_id: int | None = None) -> QuerySet:
    queryset = StockMove.objects.select_related(
        "product", "warehouse", "from_location", "to_location", "actor"
    )
    if product_id is not None:
        queryset = queryset.filter(product_id=product_id)
    if warehouse_id is not None:
        queryset = queryset.filter(warehouse_id=warehouse_id)
    return queryset


def warehouse_stock_report(*, warehouse_id: int, search: str = "") -> QuerySet:
    """Per product in one warehouse: on hand, reserved, available, average cost, value."""
    queryset = (
        WarehouseStock.objects.filter(warehouse_id=warehouse_id)
        .filter(Q(on_hand__gt=0) | Q(reserved__gt=0))
        .select_related("product", "product__category")
        .annotate(
            available=ExpressionWrapper(F("on_hand") - F("reserved"), output_field=QTY),
            value=ExpressionWrapper(F("on_hand") * F("product__cost"), output_field=MONEY),
        )
    )
    if search:
        queryset = queryset.filter(
            Q(product__sku__icontains=search) | Q(product__name__icontains=search)
        )
    return queryset


def warehouse_totals(*, warehouse_id: int | None = None) -> dict:
    """Number of products in stock, units on hand and stock value at average cost."""
    rows = WarehouseStock.objects.filter(on_hand__gt=0)
    if warehouse_id is not None:
        rows = rows.filter(warehouse_id=warehouse_id)
    totals = rows.aggregate(
        products=Coalesce(Sum(Value(1)), Value(0)),
        units=Coalesce(Sum("on_hand"), Value(ZERO), output_field=QTY),
        value=Coalesce(
            Sum(F("on_hand") * F("product__cost"), output_field=MONEY),
            Value(Decimal("0.00")),
            output_field=MONEY,
        ),
    )
    totals["value"] = Decimal(totals["value"]).quantize(Decimal("0.01"))
    return totals


def incoming_quantities(
    keys: Iterable[tuple[int, int]] | None = None,
) -> dict[tuple[int, int], Decimal]:
    """Still to be received on open (draft, sent, partly received) purchase orders."""
    lines = PurchaseOrderLine.objects.filter(order__status__in=PurchaseOrder.OPEN_STATUSES)
    if keys is not None:
        keys = list(keys)
        lines = lines.filter(product_id__in={p for p, _ in keys})
    rows = lines.values("product_id", "order__warehouse_id").annotate(
        outstanding=Sum(F("quantity") - F("quantity_received"), output_field=QTY)
    )
    return {(r["product_id"], r["order__warehouse_id"]): r["outstanding"] for r in rows}


def low_stock_list(*, warehouse_id: int | None = None, search: str = "") -> QuerySet:
    """Reorder rules whose product's available stock is below the minimum."""
    stock = WarehouseStock.objects.filter(
        product=OuterRef("product"), warehouse=OuterRef("warehouse")
    )
    rules = (
        ReorderRule.objects.filter(active=True, product__active=True)
        .select_related("product", "warehouse")
        .annotate(
            on_hand=Coalesce(
                Subquery(stock.values("on_hand")[:1], output_field=QTY),
                Value(ZERO),
                output_field=QTY,
            ),
            reserved=Coalesce(
                Subquery(stock.values("reserved")[:1], output_field=QTY),
                Value(ZERO),
                output_field=QTY,
            ),
        )
        .annotate(available=ExpressionWrapper(F("on_hand") - F("reserved"), output_field=QTY))
        .filter(available__lt=F("min_qty"))
        .annotate(
            shortfall=ExpressionWrapper(F("max_qty") - F("available"), output_field=QTY),
            status=Case(When(available__lte=0, then=Value("out")), default=Value("low")),
        )
    )
    if warehouse_id is not None:
        rules = rules.filter(warehouse_id=warehouse_id)
    if search:
        rules = rules.filter(Q(product__sku__icontains=search) | Q(product__name__icontains=search))
    return rules


def purchase_order_list(
    *,
    status: str = "",
    supplier_id: int | None = None,
    warehouse_id: int | None = None,
    search: str = "",
) -> QuerySet[PurchaseOrder]:
    queryset = PurchaseOrder.objects.select_related("supplier", "warehouse")
    if status:
        queryset = queryset.filter(status=status)
    if supplier_id is not None:
        queryset = queryset.filter(supplier_id=supplier_id)
    if warehouse_id is not None:
        queryset = queryset.filter(warehouse_id=warehouse_id)
    if search:
        queryset = queryset.filter(
            Q(number__icontains=search) | Q(supplier__name__icontains=search)
        )
    return queryset


# ---------------------------------------------------------------- the ledger, replayed


@dataclass(frozen=True)
class LedgerBalances:
    """Balances recomputed from the moves alone; compare with the balance tables."""

    locations: dict[tuple[int, int], Decimal]  # (product, location) → on hand
    warehouses: dict[
        tuple[int, int], tuple[Decimal, Decimal]
    ]  # (product, wh) → (on hand, reserved)


def ledger_balances() -> LedgerBalances:
    """Replay every stock move; zero rows are left out."""
    locations: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    on_hand: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    reserved: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    warehouse_of = dict(Location.objects.values_list("pk", "warehouse_id"))
    moves = StockMove.objects.values_list(
        "product_id",
        "warehouse_id",
        "quantity",
        "from_location_id",
        "to_location_id",
        "reserved_delta",
    ).order_by("id")
    for product_id, warehouse_id, quantity, source, target, reserved_delta in moves.iterator():
        if source is not None:
            locations[(product_id, source)] -= quantity
            on_hand[(product_id, warehouse_of[source])] -= quantity
        if target is not None:
            locations[(product_id, target)] += quantity
            on_hand[(product_id, warehouse_of[target])] += quantity
        if reserved_delta:
            reserved[(product_id, warehouse_id)] += reserved_delta
    warehouses = {
        key: (on_hand.get(key, ZERO), reserved.get(key, ZERO))
        for key in set(on_hand) | set(reserved)
        if on_hand.get(key, ZERO) or reserved.get(key, ZERO)
    }
    return LedgerBalances(
        locations={key: value for key, value in locations.items() if value},
        warehouses=warehouses,
    )


def stored_balances() -> LedgerBalances:
    """The balance tables in the same shape as ledger_balances(), zero rows left out."""
    return LedgerBalances(
        locations={
            (p, loc): q
            for p, loc, q in StockBalance.objects.values_list(
                "product_id", "location_id", "on_hand"
            )
            if q
        },
        warehouses={
            (p, w): (h, r)
            for p, w, h, r in WarehouseStock.objects.values_list(
                "product_id", "warehouse_id", "on_hand", "reserved"
            )
            if h or r
        },
    )
