"""Form widgets shared by every app's pages: LookupSelect, a search-as-you-type foreign-key
picker, and the Quick widgets of the list pages' filter bars.

A plain <select> for a foreign key lists every row; at 100,000 accounts that is megabytes per
page. LookupSelect renders only the chosen option (one query, for the chosen id) plus a search
box that loads at most a page of matching <option>s from a lookup URL with htmx. The field's
queryset stays whole, so a submitted id is still validated by ModelChoiceField (one query).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.forms.widgets import Input
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe


class LookupSelect(forms.Select):
    """A <select> holding only the selected option, and a search box filling it from `url_name`.

    - `params`: fixed query parameters of the lookup URL, e.g. {"account": 7} (contacts of
      one account).
    - `include`: names of other fields of the same form whose current value is sent with
      each search, e.g. ("account",) so the contacts offered follow the chosen account.
    - `placeholder`: the search box's placeholder.

    The lookup URL answers GET ?q=<text> with <option> elements (at most a page of them).
    """

    template_name = "components/lookup_select.html"

    def __init__(
        self,
        url_name: str,
        *,
        params: dict[str, Any] | None = None,
        include: Iterable[str] = (),
        placeholder: str = "Type to search…",
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs=attrs)
        self.url_name = url_name
        self.params = dict(params or {})
        self.include = tuple(include)
        self.placeholder = placeholder

    def __deepcopy__(self, memo: dict[int, Any]) -> LookupSelect:
        result = super().__deepcopy__(memo)
        result.params = copy.copy(self.params)
        return result

    # ------------------------------------------------------------ options: the chosen ones only

    def optgroups(
        self, name: str, value: list[str], attrs: dict[str, Any] | None = None
    ) -> list[tuple[str | None, list[dict[str, Any]], int]]:
        chosen = [v for v in value if v not in (None, "")]
        options = []
        for index, (option_value, label) in enumerate(self._choices_for(chosen)):
            selected = str(option_value) in chosen
            options.append(
                self.create_option(name, option_value, label, selected, index, attrs=attrs)
            )
        return [(None, options, 0)] if options else []

    def _choices_for(self, chosen: list[str]) -> Iterator[tuple[Any, str]]:
        """The empty choice (if the field has one) and the chosen values, never the rest."""
        choices = self.choices
        if not isinstance(choices, ModelChoiceIterator):
            # Static choices are short: pick the chosen ones from the list.
            for option_value, label in choices:
                if option_value in ("", None) or str(option_value) in chosen:
                    yield option_value, label
            return
        field = choices.field
        if field.empty_label is not None:
            yield "", field.empty_label
        if not chosen:
            return
        key = field.to_field_name or "pk"
        try:
            rows = list(field.queryset.filter(**{f"{key}__in": chosen}))
        except (ValueError, TypeError, ValidationError):
            return  # a malformed submitted id: nothing to show, the field reports the error
        for obj in rows:
            value = ModelChoiceIteratorValue(field.prepare_value(obj), obj)
            yield value, field.label_from_instance(obj)

    def use_required_attribute(self, initial: Any) -> bool:
        # Select's own check takes the first choice, which would run the field's whole query.
        choices = self.choices
        has_empty = (
            choices.field.empty_label is not None
            if isinstance(choices, ModelChoiceIterator)
            else any(value in ("", None) for value, _label in choices)
        )
        return forms.Widget.use_required_attribute(self, initial) and has_empty

    # ------------------------------------------------------------ the search box

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        select_id = context["widget"]["attrs"].get("id") or f"id_{name}"
        url = reverse(self.url_name)
        if self.params:
            url = f"{url}?{urlencode(self.params)}"
        prefix = name[: -len(name.rsplit("-", 1)[-1])] if "-" in name else ""
        context["lookup"] = {
            "url": url,
            "select_id": select_id,
            "search_id": f"{select_id}_search",
            "matches_id": f"{select_id}_matches",
            "include": ", ".join(f"[name={prefix}{other}]" for other in self.include),
            "placeholder": self.placeholder,
            "disabled": bool(context["widget"]["attrs"].get("disabled")),
        }
        return context

    def _render(
        self, template_name: str, context: dict[str, Any], renderer: Any = None
    ) -> SafeString:
        # The template lives with the project's components (templates/components/), which
        # Django's default form renderer does not search; the project's engine does.
        return mark_safe(render_to_string(template_name, context))  # noqa: S308


# ------------------------------------------------------------ filter-bar widgets
#
# Django renders a widget through templates: a <select> includes one option template per
# choice, each with its own attribute loop. On a list page that was a fifth of the request's
# CPU for five small controls. The Quick subclasses keep every behaviour of their base class
# (value formatting, choices, attributes) and only write the same markup directly.


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """Attributes in their order, as django/forms/widgets/attrs.html writes them."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


class QuickSelect(forms.Select):
    """forms.Select (one value) without the option templates."""

    def render(self, name: str, value: Any, attrs=None, renderer=None) -> SafeString:
        chosen = self.format_value(value)
        final_attrs = self.build_attrs(self.attrs, attrs)
        lines: list[SafeString] = []
        found = False

        def option(option_value: Any, label: Any) -> SafeString:
            nonlocal found
            text = "" if option_value is None else str(option_value)
            selected = not found and text in chosen
            found |= selected
            return format_html(
                '<option value="{}"{}>{}</option>', text, " selected" if selected else "", label
            )

        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):
                lines.append(format_html('<optgroup label="{}">', option_value))
                lines.extend(option(sub_value, sub_label) for sub_value, sub_label in option_label)
                lines.append(SafeString("</optgroup>"))
            else:
                lines.append(option(option_value, option_label))
        body = format_html_join("", "\n  {}", ((line,) for line in lines))
        return format_html('<select name="{}"{}>{}\n</select>', name, _attrs(final_attrs), body)


class _QuickInput(Input):
    def render(self, name: str, value: Any, attrs=None, renderer=None) -> SafeString:
        shown = self.format_value(value)
        value_attr = format_html(' value="{}"', shown) if shown is not None else ""
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            self.input_type,
            name,
            value_attr,
            _attrs(self.build_attrs(self.attrs, attrs)),
        )


class QuickTextInput(_QuickInput, forms.TextInput):
    pass


class QuickNumberInput(_QuickInput, forms.NumberInput):
    pass


class QuickEmailInput(_QuickInput, forms.EmailInput):
    pass


class QuickDateInput(_QuickInput, forms.DateInput):
    pass


_QUICK: dict[type[forms.Widget], type[forms.Widget]] = {
    forms.Select: QuickSelect,
    forms.TextInput: QuickTextInput,
    forms.NumberInput: QuickNumberInput,
    forms.EmailInput: QuickEmailInput,
    forms.DateInput: QuickDateInput,
}


def quick(widget: forms.Widget) -> forms.Widget:
    """The widget as its Quick subclass (same attributes, choices and format), or itself
    when it is of another class (a subclass with its own template keeps rendering it)."""
    quick_class = _QUICK.get(type(widget))
    if quick_class is None:
        return widget
    clone = copy.copy(widget)
    # The Quick classes add no state to their bases, only a render method.
    clone.__class__ = quick_class
    return clone
