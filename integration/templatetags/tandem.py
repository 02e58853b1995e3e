"""Template helpers of the page shell."""

from django import forms, template
from django.forms.boundfield import BoundField

register = template.Library()

_CHECKS = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, _CHECKS)


@register.filter
def bootstrap(field: BoundField) -> str:
    """Render a form field's widget with Bootstrap's classes (and is-invalid on errors)."""
    widget = field.field.widget
    if isinstance(widget, _CHECKS):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    attrs = {"class": f"{existing} {css}".strip()}
    if field.errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.auto_id}-errors"
    return field.as_widget(attrs=attrs)
