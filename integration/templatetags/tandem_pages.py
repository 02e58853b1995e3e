"""Template helpers of list and detail pages: money formatting."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    """1234.5, "EUR" -> "1,234.50 EUR". Decimal only: no float ever touches money."""
    if amount in (None, ""):
        return "—"
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    text = f"{value:,.2f}"
    return f"{text} {currency}".strip()
