"""Forms of the sales pages: list filters, the quote and order editors (header + line formset),
contracts, and shipping quantities.

Forms only validate and shape input; the views hand the cleaned data to sales.services,
which price, total and check everything again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from crm.forms import lookup
from crm.models import Account, Contact, Opportunity
from integration.pages import ListFilterForm
from integration.widgets import LookupSelect
from inventory.models import Product, Warehouse
from sales.models import Contract, Quote, SalesOrder


def _blank(choices: Any, label: str = "Any") -> list[tuple[str, str]]:
    return [("", label), *[(value, text) for value, text in choices if value != ""]]


def _currency_field(**kwargs: Any) -> forms.CharField:
    return forms.CharField(
        max_length=3,
        min_length=3,
        required=False,
        help_text="ISO 4217, e.g. EUR. Empty: the account's currency.",
        **kwargs,
    )


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# ------------------------------------------------------------------ list filters


class QuoteFilterForm(ListFilterForm):
    status = forms.ChoiceField(choices=_blank(Quote.Status.choices), required=False)


class OrderFilterForm(ListFilterForm):
    status = forms.ChoiceField(choices=_blank(SalesOrder.Status.choices), required=False)
    confirmed_from = forms.DateField(required=False, label="Confirmed from", widget=DATE_INPUT)
    confirmed_to = forms.DateField(required=False, label="Confirmed to", widget=DATE_INPUT)


class ContractFilterForm(ListFilterForm):
    status = forms.ChoiceField(choices=_blank(Contract.Status.choices), required=False)
    ends_before = forms.DateField(required=False, label="Ends before", widget=DATE_INPUT)


# ------------------------------------------------------------------ document headers


class _AccountLinkedForm(forms.Form):
    """Account and contact pickers; the contacts (and the other `linked` pickers) offered
    follow the chosen account, and must belong to it."""

    account = forms.ModelChoiceField(
        queryset=Account.objects.only("id", "name"),
        widget=lookup("account", placeholder="Search accounts…"),
    )
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.only("id", "first_name", "last_name", "account_id"),
        required=False,
        widget=lookup("contact", include=("account",), placeholder="Search contacts…"),
    )
    # Pickers that must belong to the chosen account: (field, the account's related manager).
    linked: tuple[tuple[str, str], ...] = (("contact", "contacts"),)

    def __init__(self, *args: Any, fixed_account: Account | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select) and not isinstance(widget, LookupSelect):
                widget.attrs.setdefault("class", "form-select")
        if fixed_account is not None:
            self.fields["account"].disabled = True
            self.initial["account"] = fixed_account.pk
            for name, related in self.linked:
                field = self.fields[name]
                field.queryset = getattr(fixed_account, related).all()
                field.widget.params = {"account": fixed_account.pk}
                field.widget.include = ()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        account = data.get("account")
        for name, _related in self.linked:
            chosen = data.get(name)
            if account and chosen and chosen.account_id != account.pk:
                self.add_error(name, f"This {name} belongs to another account.")
        if data.get("currency"):
            data["currency"] = data["currency"].upper()
        return data


class QuoteForm(_AccountLinkedForm):
    opportunity = forms.ModelChoiceField(
        queryset=Opportunity.objects.only("id", "name", "account_id"),
        required=False,
        widget=lookup("opportunity", include=("account",), placeholder="Search opportunities…"),
        help_text="Its amount follows the quote's total; accepting the quote wins it.",
    )
    currency = _currency_field()
    valid_until = forms.DateField(required=False, widget=DATE_INPUT)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    linked = (("contact", "contacts"), ("opportunity", "opportunities"))


class OrderForm(_AccountLinkedForm):
    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.filter(active=True).order_by("-is_default", "code"),
        required=False,
        empty_label="Default warehouse",
    )
    currency = _currency_field()
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


# ------------------------------------------------------------------ lines


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.sku} · {obj.name}"


class LineForm(forms.Form):
    """One quote or order line. Empty unit price: the price list's; empty tax: the product's."""

    product = ProductChoiceField(
        queryset=Product.objects.filter(active=True).only("id", "sku", "name"),
        widget=LookupSelect("sales:product_lookup", placeholder="Search products…"),
    )
    description = forms.CharField(required=False, max_length=300)
    quantity = forms.DecimalField(
        max_digits=14, decimal_places=3, min_value=Decimal("0.001"), initial=Decimal("1")
    )
    unit_price = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text="Empty: from the price list.",
    )
    discount_percent = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        label="Discount %",
    )
    tax_rate = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        label="Tax %",
        help_text="Empty: the product's.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            small = "form-select-sm" if name == "product" else "form-control-sm"
            field.widget.attrs.setdefault("class", small)
        self.fields["quantity"].widget.attrs.setdefault("inputmode", "decimal")

    def line(self) -> dict[str, Any]:
        """The line as sales services take it."""
        data = self.cleaned_data
        return {
            "product": data["product"],
            "description": data.get("description") or "",
            "quantity": data["quantity"],
            "unit_price": data.get("unit_price"),
            "discount_percent": data.get("discount_percent") or Decimal("0"),
            "tax_rate": data.get("tax_rate"),
        }


class _BaseLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not self.lines():
            raise forms.ValidationError("Add at least one line.")

    def lines(self) -> list[dict[str, Any]]:
        return [
            form.line()
            for form in self.forms
            if form.has_changed() and not self._should_delete_form(form) and form.cleaned_data
        ]


LineFormSet = forms.formset_factory(LineForm, formset=_BaseLineFormSet, extra=0, can_delete=True)
LINES_PREFIX = "lines"


def line_formset(data: Any = None, *, initial: list[dict[str, Any]] | None = None) -> Any:
    """The editor's lines: the document's own, or one empty line for a new document."""
    initial = initial if initial is not None else []
    formset = LineFormSet(data, initial=initial, prefix=LINES_PREFIX)
    if data is None and not initial:
        formset.extra = 1
    return formset


def initial_lines(lines: Any) -> list[dict[str, Any]]:
    """A saved document's lines as the formset's initial data."""
    return [
        {
            "product": line.product_id,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "tax_rate": line.tax_rate,
        }
        for line in lines
    ]


# ------------------------------------------------------------------ contracts


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = [
            "account",
            "title",
            "start_date",
            "end_date",
            "value",
            "currency",
            "renewal_terms",
            "auto_renew",
            "document",
        ]
        widgets = {
            "account": lookup("account", placeholder="Search accounts…"),
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "renewal_terms": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.only("id", "name")
        self.fields["currency"].required = False
        self.fields["currency"].help_text = "ISO 4217. Empty: the account's currency."
        if self.instance.pk:
            self.fields["account"].disabled = True

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The contract cannot end before it starts.")
        return data

    def _post_clean(self) -> None:
        # The service validates the model (and sets the currency default); the form
        # must not complain that the instance's currency is blank.
        pass


# ------------------------------------------------------------------ shipping


class ShipForm(forms.Form):
    """Quantities to ship per line (`ship-<line id>`); all empty ships everything outstanding."""

    def __init__(self, *args: Any, order: SalesOrder, lines: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        self.order_lines = [line for line in lines if line.quantity_outstanding > 0]
        for line in self.order_lines:
            self.fields[f"ship-{line.pk}"] = forms.DecimalField(
                max_digits=14,
                decimal_places=3,
                min_value=Decimal("0"),
                max_value=line.quantity_outstanding,
                required=False,
                label=f"{line.product.sku}",
                widget=forms.NumberInput(
                    attrs={
                        "class": "form-control form-control-sm",
                        "step": "any",
                        "placeholder": f"{line.quantity_outstanding.normalize():f}",
                    }
                ),
            )

    def rows(self) -> list[tuple[Any, forms.BoundField]]:
        return [(line, self[f"ship-{line.pk}"]) for line in self.order_lines]

    def shipment(self) -> list[dict[str, Any]] | None:
        """What the service ships: the given quantities, or None (everything outstanding)."""
        chosen = [
            {"line": line.pk, "quantity": self.cleaned_data[f"ship-{line.pk}"]}
            for line in self.order_lines
            if self.cleaned_data.get(f"ship-{line.pk}")
        ]
        return chosen or None
