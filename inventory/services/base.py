"""What every inventory service shares: rounding, field assignment, versions, the actor.

Rounding happens here only: money to cents and quantities to thousandths, ROUND_HALF_UP.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

CENT = Decimal("0.01")
MILLI = Decimal("0.001")
ZERO = Decimal("0.000")


def round_money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def round_quantity(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(MILLI, rounding=ROUND_HALF_UP)


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def positive_quantity(value: Any, *, field: str = "quantity") -> Decimal:
    """A quantity > 0 with at most three decimals, else a field error."""
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise field_error(field, "Enter a number.") from None
    if not quantity.is_finite() or quantity <= 0:
        raise field_error(field, "Must be greater than zero.")
    if quantity != round_quantity(quantity):
        raise field_error(field, "At most 3 decimal places.")
    return round_quantity(quantity)


def user_of(actor: Any) -> Any:
    """The user a move records: the user itself, or the user behind an API token."""
    if actor is None:
        return None
    if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None):
        return actor
    user = getattr(actor, "user", None)
    return user if getattr(user, "pk", None) else None


def editable_fields(model: type[models.Model]) -> dict[str, models.Field]:
    result: dict[str, models.Field] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or not field.editable:
            continue
        result[field.name] = field
        if field.attname != field.name:
            result[field.attname] = field
    return result


def assign(
    instance: models.Model, fields: Mapping[str, Any], *, forbidden: tuple[str, ...] = ()
) -> list[str]:
    """Set editable `fields` on `instance`; returns the attnames whose value changed."""
    allowed = editable_fields(type(instance))
    changed = []
    for key, value in fields.items():
        field = allowed.get(key)
        if field is None or key in forbidden or field.name in forbidden:
            raise TypeError(f"{type(instance).__name__} has no field {key!r} a service may set.")
        if getattr(instance, field.attname if key == field.attname else field.name) != value:
            changed.append(field.attname)
        setattr(instance, key, value)
    return changed


def lock_version(instance: models.Model) -> None:
    """Lock the row and take the next version from the database, not from a stale copy."""
    current = (
        type(instance)
        ._default_manager.select_for_update()
        .values_list("version", flat=True)
        .get(pk=instance.pk)
    )
    instance.version = current + 1


def save_changes(instance: models.Model, changed: list[str]) -> None:
    fields = {*changed, "version"}
    if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
        fields.add("updated_at")
    instance.save(update_fields=sorted(fields))
