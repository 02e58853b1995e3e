"""Inventory demo data for `manage.py seed_demo`: a catalogue with stock and purchasing.

Deterministic (fixed seed), through inventory.services so the ledger, balances and events
agree: ~150 products in a two-level category tree, two warehouses with stock, suppliers
with price lists (one preferred per product), reorder rules (some products below their
minimum, so the low-stock list and proposals have work), and purchase orders in every
status. Skips what exists, so it may run on every start.

`seed_demo --scale N` is the CRM benchmark's mode (N accounts): inventory adds nothing
then. The product-list benchmark bulk-loads its products with `seed_scale`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from django.db import connection

from inventory import services
from inventory.models import (
    Category,
    Location,
    Product,
    PurchaseOrder,
    ReorderRule,
    StockBalance,
    StockMove,
    Supplier,
    SupplierPrice,
    Warehouse,
    WarehouseStock,
)

Log = Callable[[str], None]

SEED = 5_2024
SCALE_PREFIX = "SCALE-"

CATEGORIES: dict[str, list[str]] = {
    "Hardware": ["Fasteners", "Hinges and brackets", "Tools"],
    "Electrical": ["Cables", "Lighting", "Switches"],
    "Office": ["Paper", "Writing", "Furniture"],
    "Safety": ["Gloves", "Eyewear", "Signs"],
    "Packaging": ["Boxes", "Tape", "Pallets"],
}
NOUNS: dict[str, list[str]] = {
    "Fasteners": [
        "Hex bolt M8",
        "Hex bolt M10",
        "Wood screw 4x40",
        "Wall plug 8 mm",
        "Washer M8",
        "Lock nut M10",
        "Rivet 4 mm",
        "Anchor bolt M12",
    ],
    "Hinges and brackets": [
        "Butt hinge 75 mm",
        "Corner bracket",
        "Shelf bracket 200 mm",
        "Gate hinge",
        "Mending plate",
        "Angle bracket 90",
    ],
    "Tools": [
        "Claw hammer",
        "Screwdriver set",
        "Utility knife",
        "Tape measure 5 m",
        "Spirit level 60 cm",
        "Hex key set",
        "Combination pliers",
        "Hand saw",
    ],
    "Cables": [
        "Power cable 3x1.5 / 50 m",
        "Extension cord 10 m",
        "Cable ties 200 mm",
        "Ethernet cable Cat6 5 m",
        "HDMI cable 2 m",
        "Cable reel 25 m",
    ],
    "Lighting": [
        "LED bulb E27 9 W",
        "LED tube 120 cm",
        "Work light 20 W",
        "Headlamp",
        "Floodlight 50 W",
        "Emergency light",
    ],
    "Switches": [
        "Wall switch",
        "Dimmer switch",
        "Socket outlet",
        "Junction box",
        "Power strip 6-way",
        "Timer switch",
    ],
    "Paper": [
        "Copy paper A4 500",
        "Notebook A5",
        "Sticky notes",
        "Envelopes C5 500",
        "Label sheets",
        "Flip chart pad",
    ],
    "Writing": [
        "Ballpoint pen blue",
        "Marker set",
        "Highlighter",
        "Pencil HB",
        "Whiteboard marker",
        "Fountain pen",
    ],
    "Furniture": [
        "Office chair",
        "Desk 160 cm",
        "Filing cabinet",
        "Monitor arm",
        "Footrest",
        "Shelving unit",
    ],
    "Gloves": [
        "Work gloves L",
        "Nitrile gloves M 100",
        "Cut-resistant gloves",
        "Winter work gloves",
        "Welding gloves",
    ],
    "Eyewear": ["Safety glasses", "Goggles", "Face shield", "Welding helmet"],
    "Signs": [
        "Exit sign",
        "First aid sign",
        "Floor marking tape",
        "Warning sign set",
        "Fire extinguisher sign",
    ],
    "Boxes": ["Cardboard box S", "Cardboard box M", "Cardboard box L", "Archive box", "Mailer box"],
    "Tape": ["Packing tape 50 m", "Duct tape", "Masking tape", "Tape dispenser", "Fragile tape"],
    "Pallets": ["EUR pallet", "Pallet wrap 500 mm", "Pallet collar", "Corner protectors"],
}
SUPPLIERS = [
    ("NORDFAST", "Nordic Fasteners Oy", "EUR"),
    ("VOLTA", "Volta Electric Ab", "EUR"),
    ("PAPERCO", "PaperCo Oy", "EUR"),
    ("SAFEWORK", "SafeWork GmbH", "EUR"),
    ("PACKPRO", "PackPro Logistics Oy", "EUR"),
    ("GENERAL", "General Trading Oy", "EUR"),
]
TOP_SUPPLIER = {
    "Hardware": "NORDFAST",
    "Electrical": "VOLTA",
    "Office": "PAPERCO",
    "Safety": "SAFEWORK",
    "Packaging": "PACKPRO",
}
WAREHOUSES = [("MAIN", "Helsinki central warehouse"), ("TRE", "Tampere warehouse")]


def seed(*, scale: int | None, log: Log) -> None:
    if scale is not None:
        return  # --scale loads CRM accounts for benchmarks; see the module docstring
    _seed_small(log)


def _seed_small(log: Log) -> None:
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    warehouses = _warehouses(log)
    categories = _categories()
    products = _products(rng, categories, log)
    suppliers = _suppliers(rng, products, log)
    _stock(rng, products, warehouses, log)
    _rules(rng, products, warehouses, log)
    _purchase_orders(rng, products, suppliers, warehouses, log)


def _warehouses(log: Log) -> list[Warehouse]:
    result = []
    for code, name in WAREHOUSES:
        warehouse = Warehouse.objects.filter(code=code).first()
        if warehouse is None:
            warehouse = services.warehouse_create(code=code, name=name)
            log(f"Warehouse {code} created.")
        result.append(warehouse)
    return result


def _categories() -> dict[str, Category]:
    result = {}
    for top, children in CATEGORIES.items():
        parent = Category.objects.filter(name=top, parent=None).first() or (
            services.category_create(name=top)
        )
        for child in children:
            result[child] = Category.objects.filter(name=child, parent=parent).first() or (
                services.category_create(name=child, parent=parent)
            )
            result[child].top = top  # type: ignore[attr-defined]
    return result


def _products(rng: random.Random, categories: dict[str, Category], log: Log) -> list[Product]:
    existing = {p.sku: p for p in Product.objects.filter(sku__startswith="DEMO-")}
    result, created = [], 0
    n = 0
    for sub, nouns in NOUNS.items():
        for noun in nouns:
            for variant in ("", " (pack of 10)"):
                n += 1
                sku = f"DEMO-{n:04d}"
                cost = Decimal(rng.randint(20, 40000)) / 100
                price = (cost * Decimal(rng.choice(["1.4", "1.6", "1.8", "2.0"]))).quantize(
                    Decimal("0.01")
                )
                if variant:
                    price, cost = price * 9, cost * 9
                product = existing.get(sku)
                if product is None:
                    product = services.product_create(
                        sku=sku,
                        name=f"{noun}{variant}",
                        category=categories[sub],
                        sales_price=price,
                        tax_rate=Decimal("25.50"),
                        barcode=f"64{rng.randint(10**10, 10**11 - 1)}",
                        tracked=not (sub == "Furniture" and variant),
                    )
                    created += 1
                product.top = categories[sub].top  # type: ignore[attr-defined]
                product.demo_cost = cost  # type: ignore[attr-defined]
                result.append(product)
    log(f"{created} products created ({len(result)} in the demo catalogue).")
    return result


def _suppliers(rng: random.Random, products: list[Product], log: Log) -> dict[str, Supplier]:
    suppliers = {}
    for code, name, currency in SUPPLIERS:
        supplier = Supplier.objects.filter(code=code).first()
        if supplier is None:
            supplier = services.supplier_create(
                code=code,
                name=name,
                currency=currency,
                email=f"orders@{code.lower()}.example",
                lead_time_days=rng.randint(3, 14),
            )
        suppliers[code] = supplier
    priced = set(SupplierPrice.objects.values_list("supplier_id", "product_id"))
    created = 0
    for product in products:
        main = suppliers[TOP_SUPPLIER[product.top]]
        if (main.pk, product.pk) not in priced:
            services.supplier_price_set(
                supplier=main, product=product, unit_price=product.demo_cost, preferred=True
            )
            services.supplier_price_set(
                supplier=main,
                product=product,
                unit_price=(product.demo_cost * Decimal("0.9")).quantize(Decimal("0.01")),
                min_quantity=Decimal("100"),
            )
            created += 1
        general = suppliers["GENERAL"]
        if rng.random() < 0.4 and (general.pk, product.pk) not in priced:
            services.supplier_price_set(
                supplier=general,
                product=product,
                unit_price=(product.demo_cost * Decimal("1.1")).quantize(Decimal("0.01")),
            )
    log(f"{len(suppliers)} suppliers; price lists for {created} products added.")
    return suppliers


def _stock(rng: random.Random, products: list[Product], warehouses: list[Warehouse], log: Log):
    if StockMove.objects.filter(product__sku__startswith="DEMO-").exists():
        return
    moves = 0
    for product in products:
        if not product.tracked:
            continue
        for warehouse, chance in zip(warehouses, (0.95, 0.6), strict=True):
            if rng.random() > chance:
                continue
            quantity = Decimal(rng.choice([2, 5, 8, 12, 20, 40, 60, 100, 250]))
            services.stock_receive(
                product=product,
                warehouse=warehouse,
                quantity=quantity,
                unit_cost=product.demo_cost,
                reference="demo:opening",
                note="Opening balance",
            )
            moves += 1
    log(f"{moves} opening stock receipts posted.")


def _rules(rng: random.Random, products: list[Product], warehouses: list[Warehouse], log: Log):
    existing = set(ReorderRule.objects.values_list("product_id", "warehouse_id"))
    created = 0
    for index, product in enumerate(products):
        if not product.tracked or index % 3:
            continue
        warehouse = warehouses[0]
        if (product.pk, warehouse.pk) in existing:
            continue
        low = Decimal(rng.choice([5, 10, 15, 25]))
        services.reorder_rule_create(
            product=product, warehouse=warehouse, min_qty=low, max_qty=low * 4
        )
        created += 1
    log(f"{created} reorder rules created.")


def _purchase_orders(
    rng: random.Random,
    products: list[Product],
    suppliers: dict[str, Supplier],
    warehouses: list[Warehouse],
    log: Log,
) -> None:
    if PurchaseOrder.objects.filter(notes__startswith="Demo").exists():
        return
    plan = [
        "draft",
        "draft",
        "sent",
        "sent",
        "partially_received",
        "received",
        "received",
        "cancelled",
    ]
    for n, status in enumerate(plan, start=1):
        supplier = suppliers[rng.choice(list(TOP_SUPPLIER.values()))]
        offered = [p for p in products if p.tracked and TOP_SUPPLIER[p.top] == supplier.code]
        chosen = rng.sample(offered, k=min(len(offered), rng.randint(2, 4)))
        order = services.purchase_order_create(
            supplier=supplier,
            warehouse=warehouses[n % 2],
            notes=f"Demo purchase order {n}.",
            lines=[{"product": p, "quantity": Decimal(rng.choice([10, 20, 50]))} for p in chosen],
        )
        if status != "draft" and status != "cancelled":
            order = services.purchase_order_send(order=order)
        if status == "cancelled":
            services.purchase_order_cancel(order=order)
        elif status == "received":
            services.purchase_order_receive(order=order)
        elif status == "partially_received":
            line = order.lines.first()
            services.purchase_order_receive(
                order=order, lines=[{"line": line.pk, "quantity": line.quantity / 2}]
            )
    log(f"{len(plan)} purchase orders in every status.")
    proposed = services.reorder_propose()
    log(f"{len(proposed)} purchase orders proposed by the reorder rules.")


# ---------------------------------------------------------------- scale (benchmarks)


def seed_scale(total: int, *, log: Log) -> None:
    """Products SCALE-000001..`total` (those missing) with stock in the default warehouse.

    Bulk-inserted without events or moves' events: a load for the product-list benchmark.
    Each product gets one receipt move and its balances, so the ledger still agrees.
    """
    done = Product.objects.filter(sku__startswith=SCALE_PREFIX).count()
    if done >= total:
        log(f"{done} scale products already present (asked for {total}).")
        return
    warehouse = Warehouse.objects.filter(is_default=True).first()
    location = Location.objects.get(warehouse=warehouse, is_default=True)
    categories = list(Category.objects.exclude(parent=None).values_list("pk", flat=True)) or [None]
    chunk = 5_000
    for start in range(done + 1, total + 1, chunk):
        stop = min(start + chunk, total + 1)
        rng = random.Random(SEED * 1_000_003 + start)  # noqa: S311 - demo data
        products = Product.objects.bulk_create(
            [
                Product(
                    sku=f"{SCALE_PREFIX}{i:06d}",
                    name=f"Scale product {i}",
                    category_id=categories[i % len(categories)],
                    sales_price=Decimal(rng.randint(100, 99_999)) / 100,
                    cost=Decimal(rng.randint(50, 50_000)) / 100,
                )
                for i in range(start, stop)
            ],
            batch_size=1000,
        )
        quantities = [Decimal(rng.randint(0, 200)) for _ in products]
        stocked = [(p, q) for p, q in zip(products, quantities, strict=True) if q > 0]
        StockMove.objects.bulk_create(
            [
                StockMove(
                    kind=StockMove.Kind.RECEIPT,
                    product=p,
                    warehouse=warehouse,
                    quantity=q,
                    to_location=location,
                    unit_cost=p.cost,
                    reference="demo:scale",
                )
                for p, q in stocked
            ],
            batch_size=1000,
        )
        StockBalance.objects.bulk_create(
            [StockBalance(product=p, location=location, on_hand=q) for p, q in stocked],
            batch_size=1000,
        )
        WarehouseStock.objects.bulk_create(
            [WarehouseStock(product=p, warehouse=warehouse, on_hand=q) for p, q in stocked],
            batch_size=1000,
        )
        log(f"{stop - 1} scale products loaded.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE inventory_product; ANALYZE inventory_warehousestock")
