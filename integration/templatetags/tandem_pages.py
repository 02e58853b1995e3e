"""Template helpers of list and detail pages: money formatting, links to source pages."""

from decimal import Decimal, InvalidOperation

from django import template

from integration.customer_view import source_page as _source_page

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


@register.filter
def source_page(subject_id, subject_type: str) -> str:
    """`{{ contact.contact_id|source_page:"crm.contact" }}`: that subject's own page (as its
    app registered it), or "" when none is registered."""
    return _source_page(subject_type, subject_id) or ""
