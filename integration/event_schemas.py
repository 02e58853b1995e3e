"""What every app's events.py shares: JSON-schema fragments for event payloads, declaring a
list of event types, and the text forms payloads carry (ISO dates, decimal strings).

Payloads carry ids as integers, money and percents as strings with two decimals ("10.00"),
quantities with three ("1.000"), dates and datetimes in ISO 8601.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models

from integration.events import register_event_type

ID = {"type": "integer"}
NULLABLE_ID = {"type": ["integer", "null"]}
TEXT = {"type": "string"}
NULLABLE_TEXT = {"type": ["string", "null"]}
BOOL = {"type": "boolean"}
MONEY = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
PERCENT = MONEY
QUANTITY = {"type": "string", "pattern": r"^-?\d+\.\d{3}$"}
DATETIME = {"type": ["string", "null"], "format": "date-time"}
DATE = {"type": "string", "format": "date"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}


def object_schema(properties: dict[str, Any], *, required: list[str] | None = None) -> dict:
    """A closed object: every property required unless `required` says otherwise."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def array_schema(items: dict) -> dict:
    return {"type": "array", "items": items}


def enum_schema(choices: type[models.Choices]) -> dict:
    """The values of a TextChoices (or IntegerChoices) class."""
    return {"enum": [c.value for c in choices]}


def register_event_types(types: Iterable[tuple[str, dict, str]]) -> None:
    """Declare an app's event types: (name, schema, description) each, at version 1."""
    for name, schema, description in types:
        register_event_type(name, schema=schema, description=description)


# ---------------------------------------------------------------- payload values


def iso(value: Any) -> str | None:
    """A date or datetime in ISO 8601; None stays None."""
    return value.isoformat() if value is not None else None


def decimal_text(value: Decimal | int | str, places: int) -> str:
    """A decimal as the fixed-point string events carry ("10.00", "1.000")."""
    return f"{Decimal(value):.{places}f}"


def money_text(value: Decimal | int | str) -> str:
    return decimal_text(value, 2)


def quantity_text(value: Decimal | int | str) -> str:
    return decimal_text(value, 3)
