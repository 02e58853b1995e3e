"""What every inventory service shares: rounding, field assignment, versions, the actor.

Field errors, row locks with versions and saving changes come from integration.changes,
which all apps share.

Rounding is integration.rounding's: money to cents and quantities to thousandths, ROUND_HALF_UP.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models

from integration.changes import editable_fields, field_error
from integration.rounding import round_quantity

ZERO = Decimal("0.000")


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
