"""The line editor shared by quotes and orders: live totals and new line rows (htmx), and the
product picker's options.

Live totals price each line the way the services will (price lists for an empty unit price,
the product's tax rate for an empty tax) and total them with sales.rounding, so what the
editor shows is what saving stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from crm.models import Account
from sales import page_queries, services
from sales.forms import LINES_PREFIX, LineForm, LineFormSet
from sales.rounding import LineAmounts, document_totals, line_amounts
from sales.views.common import crumb, sales_permission

LOOKUP_LIMIT = 20
MAX_LINES = 200


@dataclass
class LinePreview:
    index: int
    amounts: LineAmounts | None = None
    unit_price: Decimal | None = None
    priced: bool = False  # the unit price came from the price list, not the form


def _posted_count(request: HttpRequest) -> int:
    try:
        count = int(request.POST.get(f"{LINES_PREFIX}-TOTAL_FORMS", "0"))
    except ValueError:
        return 0
    return max(0, min(count, MAX_LINES))


def _account(request: HttpRequest) -> Account | None:
    value = request.GET.get("account") or request.POST.get("account") or ""
    return Account.objects.filter(pk=value).first() if value.isdigit() else None


def preview_lines(
    data: Any, count: int, *, account: Account | None, currency: str
) -> list[LinePreview]:
    """Each posted line's amounts, or none while it is incomplete or invalid."""
    previews = []
    for index in range(count):
        form = LineForm(data, prefix=f"{LINES_PREFIX}-{index}")
        preview = LinePreview(index)
        previews.append(preview)
        if data.get(f"{LINES_PREFIX}-{index}-DELETE") or not form.is_valid():
            continue
        line = form.line()
        product, quantity = line["product"], line["quantity"]
        unit_price = line["unit_price"]
        if unit_price is None:
            preview.priced = True
            unit_price = (
                services.price_for(
                    product=product, account=account, quantity=quantity, currency=currency
                )
                if account is not None
                else product.sales_price
            )
        tax_rate = line["tax_rate"] if line["tax_rate"] is not None else product.tax_rate
        preview.unit_price = unit_price
        preview.amounts = line_amounts(
            quantity=quantity,
            unit_price=unit_price,
            discount_percent=line["discount_percent"],
            tax_rate=tax_rate,
        )
    return previews


# The editor's helpers write nothing and show only prices: the sales area is enough.
@sales_permission()
@require_POST
def line_totals(request: HttpRequest) -> HttpResponse:
    """The editor's totals (and each line's total, out of band) for the posted lines."""
    account = _account(request)
    currency = (request.POST.get("currency") or "").strip().upper()[:3] or (
        account.currency if account is not None else settings.TANDEM_DEFAULT_CURRENCY
    )
    previews = preview_lines(
        request.POST, _posted_count(request), account=account, currency=currency
    )
    totals = document_totals(p.amounts for p in previews if p.amounts is not None)
    return render(
        request,
        "sales/_line_totals.html",
        {"previews": previews, "totals": totals, "currency": currency, "oob": True},
    )


@sales_permission()
@require_POST
def line_row(request: HttpRequest) -> HttpResponse:
    """One more empty line row, and the formset's form count raised (out of band)."""
    index = _posted_count(request)
    if index >= MAX_LINES:
        return HttpResponseBadRequest(f"At most {MAX_LINES} lines.")
    form = LineForm(prefix=f"{LINES_PREFIX}-{index}", initial={"quantity": Decimal("1")})
    LineFormSet(prefix=LINES_PREFIX).add_fields(form, index)  # its "Remove" box
    return render(
        request,
        "sales/_line_row.html",
        {"line": form, "index": index, "total_forms": index + 1, "oob": True},
    )


@sales_permission()
@require_GET
def product_lookup(request: HttpRequest) -> HttpResponse:
    """The product picker's <option>s: active products by SKU, barcode or name."""
    query = request.GET.get("q", "").strip()[:100]
    found = list(page_queries.product_matches(query)[: LOOKUP_LIMIT + 1])
    return render(
        request,
        "crm/_lookup_options.html",
        {
            "options": [(p.pk, f"{p.sku} · {p.name}") for p in found[:LOOKUP_LIMIT]],
            "more": len(found) > LOOKUP_LIMIT,
            "q": query,
        },
    )


def render_editor(
    request: HttpRequest,
    *,
    kind: str,
    form: Any,
    formset: Any,
    title: str,
    cancel_url: str,
    account: Account | None,
    submit_label: str,
) -> HttpResponse:
    """The quote or order editor page: the header form, the lines and their live totals."""
    currency = (form.data.get("currency") if form.is_bound else form.initial.get("currency")) or (
        account.currency if account is not None else settings.TANDEM_DEFAULT_CURRENCY
    )
    totals_url = reverse("sales:line_totals")
    if account is not None and form.fields["account"].disabled:
        totals_url += f"?account={account.pk}"
    return render(
        request,
        "sales/document_editor.html",
        {
            "form": form,
            "title": title,
            "cancel_url": cancel_url,
            "submit_label": submit_label,
            "totals_url": totals_url,
            "kind": kind,
            **editor_context(formset, account=account, currency=currency.upper()),
            **crumb(),
        },
    )


def editor_context(formset: Any, *, account: Account | None, currency: str) -> dict[str, Any]:
    """What the editor template shows below the lines on first render (no htmx yet)."""
    data = formset.data if formset.is_bound else _initial_data(formset)
    previews = preview_lines(data, len(formset.forms), account=account, currency=currency)
    return {
        "formset": formset,
        "rows": list(zip(formset.forms, previews, strict=True)),
        "totals": document_totals(p.amounts for p in previews if p.amounts is not None),
        "currency": currency,
    }


def _initial_data(formset: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for index, form in enumerate(formset.forms):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if value is not None:
                data[f"{LINES_PREFIX}-{index}-{name}"] = str(value)
    return data
