"""How every sales service writes documents: lines priced and totalled in one way, rows
locked before a transition, versions bumped, numbers given from the id."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from integration.changes import save_changes
from inventory.models import Product
from sales.errors import NotEditable
from sales.rounding import document_totals, line_amounts

M = TypeVar("M", bound=models.Model)

LINE_FIELDS = ("product", "quantity", "unit_price", "discount_percent", "tax_rate", "description")


def lock(instance: M) -> M:
    """Lock the row and reload it: transitions decide on the committed state, not a stale copy."""
    list(type(instance)._default_manager.select_for_update().filter(pk=instance.pk).values("pk"))
    instance.refresh_from_db()
    return instance


def bump(instance: models.Model, fields: Iterable[str]) -> None:
    """Save the named fields with the next version (the row is locked by `lock`)."""
    instance.version += 1
    save_changes(instance, fields)


def update_draft(
    document: models.Model,
    fields: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]] | None,
    *,
    editable: Iterable[str],
    plural: str,
    function: str,
    check: Callable[[Any], None],
    price_lines: Callable[[Any, Sequence[Mapping[str, Any]]], list],
) -> list | None:
    """Change a draft document: its header `fields` and, when `lines` is given, all of its
    lines (priced by `price_lines`). Locks the row, validates, bumps the version; returns the
    saved lines, or None when the lines stayed as they were."""
    lock(document)
    if document.status != type(document).Status.DRAFT:
        raise NotEditable(f"Only draft {plural} can be edited.", status=document.status)
    unknown = set(fields) - set(editable)
    if unknown:
        raise TypeError(f"{function} cannot set {sorted(unknown)}")
    for key, value in fields.items():
        setattr(document, key, value)
    check(document)
    changed = {document._meta.get_field(k).name for k in fields}
    built = None
    if lines is not None:
        built = price_lines(document, lines)
        changed |= {"subtotal", "tax_total", "total"}
    document.full_clean(exclude=["number"])
    bump(document, changed)
    return replace_lines(document, "lines", built) if built is not None else None


def assign_number(instance: models.Model, prefix: str) -> None:
    instance.number = f"{prefix}-{instance.pk:06d}"
    type(instance)._default_manager.filter(pk=instance.pk).update(number=instance.number)


def _decimal(value: Any, field: str, index: int) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise _line_error(index, field, "A number is required.") from None
    if not result.is_finite():
        raise _line_error(index, field, "A number is required.")
    return result


def _line_error(index: int, field: str, message: str) -> ValidationError:
    return ValidationError({"lines": [f"Line {index + 1}: {field}: {message}"]})


def _products(lines: Sequence[Mapping[str, Any]]) -> dict[int, Product]:
    ids = set()
    for line in lines:
        product = line.get("product")
        if not isinstance(product, Product):
            ids.add(product)
    return Product.objects.in_bulk([i for i in ids if isinstance(i, int)]) if ids else {}


def build_lines(
    line_model: type[M],
    lines: Sequence[Mapping[str, Any]],
    *,
    price: Any,
    exclude: Sequence[str],
) -> list[M]:
    """Unsaved lines from plain dicts (`product`, `quantity`, optional `unit_price`,
    `discount_percent`, `tax_rate`, `description`), priced, with their amounts.

    `price(product, quantity)` gives the unit price when a line names none; the tax rate
    defaults to the product's.
    """
    if not lines:
        raise ValidationError({"lines": ["Add at least one line."]})
    products = _products(lines)
    built: list[M] = []
    for index, data in enumerate(lines):
        unknown = set(data) - set(LINE_FIELDS)
        if unknown:
            raise TypeError(f"Unknown line fields: {sorted(unknown)}")
        product = data.get("product")
        if not isinstance(product, Product):
            product = products.get(product)
        if product is None:
            raise _line_error(index, "product", "Unknown product.")
        if not product.active:
            raise _line_error(index, "product", f"{product.sku} is not active.")
        quantity = _decimal(data.get("quantity"), "quantity", index)
        if quantity <= 0:
            raise _line_error(index, "quantity", "Must be greater than zero.")
        unit_price = data.get("unit_price")
        unit_price = (
            price(product, quantity)
            if unit_price is None
            else _decimal(unit_price, "unit_price", index)
        )
        if unit_price < 0:
            raise _line_error(index, "unit_price", "Must not be negative.")
        discount = _decimal(data.get("discount_percent") or 0, "discount_percent", index)
        if not 0 <= discount <= 100:
            raise _line_error(index, "discount_percent", "Must be from 0 to 100.")
        tax_rate = data.get("tax_rate")
        tax_rate = product.tax_rate if tax_rate is None else _decimal(tax_rate, "tax_rate", index)
        if tax_rate < 0:
            raise _line_error(index, "tax_rate", "Must not be negative.")
        amounts = line_amounts(
            quantity=quantity,
            unit_price=unit_price,
            discount_percent=discount,
            tax_rate=tax_rate,
        )
        line = line_model(
            product=product,
            description=data.get("description") or "",
            quantity=quantity,
            unit_price=unit_price,
            discount_percent=discount,
            tax_rate=tax_rate,
            line_total=amounts.line_total,
            tax_amount=amounts.tax_amount,
            position=index + 1,
        )
        try:
            line.full_clean(exclude=[*exclude, "product"], validate_constraints=False)
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise _line_error(index, field, " ".join(messages)) from None
        built.append(line)
    return built


def set_totals(document: models.Model, lines: Iterable[models.Model]) -> None:
    totals = document_totals(lines)  # lines carry line_total and tax_amount
    document.subtotal = totals.subtotal
    document.tax_total = totals.tax_total
    document.total = totals.total


def replace_lines(document: models.Model, related: str, lines: list[M]) -> list[M]:
    """Delete the document's lines and write `lines` in their place."""
    manager = getattr(document, related)
    manager.all().delete()
    fk = manager.field.name
    for line in lines:
        setattr(line, fk, document)
    return type(lines[0])._default_manager.bulk_create(lines) if lines else []


def lines_with_products(document: models.Model, related: str) -> list:
    return list(getattr(document, related).select_related("product").order_by("position", "id"))
