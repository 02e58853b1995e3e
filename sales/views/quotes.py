"""Quote pages: list, the editor (header + lines with live totals), detail with its actions,
and the printable rendering."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.models import Account, Opportunity
from integration.page_forms import run_action, save_with
from integration.pages import Column, CsvColumn, ListPage, new_action, render_list
from sales import page_queries, services
from sales.forms import QuoteFilterForm, QuoteForm, initial_lines, line_formset
from sales.models import Quote
from sales.views.common import can, crumb, sales_permission
from sales.views.editor import render_editor

QUOTE_LIST = ListPage(
    template="components/list_page.html",
    row_template="sales/_quote_row.html",
    filter_form=QuoteFilterForm,
    queryset=page_queries.quote_rows,
    columns=[
        Column("Number", "number"),
        Column("Account", "account__name"),
        Column("Status", "status"),
        Column("Total", "total", "text-end"),
        Column("Valid until", "valid_until"),
        Column("Updated", "updated_at", "text-end"),
    ],
    default_sort="-created_at",
    csv_columns=[
        CsvColumn("number", lambda q: q.number),
        CsvColumn("account", lambda q: q.account.name),
        CsvColumn("status", lambda q: q.status),
        CsvColumn("currency", lambda q: q.currency),
        CsvColumn("subtotal", lambda q: q.subtotal),
        CsvColumn("tax_total", lambda q: q.tax_total),
        CsvColumn("total", lambda q: q.total),
        CsvColumn("valid_until", lambda q: q.valid_until or ""),
    ],
    csv_filename="quotes.csv",
    table_id="quote-table",
    empty_title="No quotes found",
)

EDITABLE = (Quote.Status.DRAFT,)
OPEN = (Quote.Status.DRAFT, Quote.Status.SENT)


def _quote(pk: int) -> Quote:
    return get_object_or_404(
        Quote.objects.select_related("account", "contact", "opportunity", "owner", "order"), pk=pk
    )


@sales_permission("view_quote")
@require_GET
def quote_list(request: HttpRequest) -> HttpResponse:
    actions = new_action(request, "sales.add_quote", "sales:quote_create", "New quote")
    return render_list(
        request,
        QUOTE_LIST,
        context=crumb(
            title="Quotes",
            subtitle="Offers to customers: drafts, sent, accepted, rejected and expired.",
            actions=actions,
            search_placeholder="Number or account…",
        ),
    )


def _header(form: QuoteForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "contact": data.get("contact"),
        "opportunity": data.get("opportunity"),
        # Empty: the account's (on create); an edit keeps the document's.
        **({"currency": data["currency"]} if data.get("currency") else {}),
        "valid_until": data.get("valid_until"),
        "notes": data.get("notes") or "",
    }


@sales_permission("add_quote")
@require_http_methods(["GET", "POST"])
def quote_create(request: HttpRequest) -> HttpResponse:
    """A new quote; `?opportunity=<id>` starts it from an opportunity (its account, contact
    and currency), `?account=<id>` from an account."""
    opportunity = None
    account = None
    initial: dict[str, Any] = {}
    value = request.GET.get("opportunity", "")
    if value.isdigit():
        opportunity = get_object_or_404(Opportunity.objects.select_related("account"), pk=value)
        account = opportunity.account
        initial = {
            "opportunity": opportunity.pk,
            "contact": opportunity.contact_id,
            "currency": opportunity.currency,
        }
    elif request.GET.get("account", "").isdigit():
        account = get_object_or_404(Account, pk=request.GET["account"])
        initial = {"currency": account.currency}
    form = QuoteForm(request.POST or None, fixed_account=account, initial=initial)
    formset = line_formset(request.POST or None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        target = form.cleaned_data["account"]
        quote = save_with(
            form,
            lambda: services.quote_create(
                account=target, lines=formset.lines(), actor=request.user, **_header(form)
            ),
        )
        if quote is not None:
            messages.success(request, f"Quote {quote.number} created.")
            return redirect("sales:quote_detail", pk=quote.pk)
    chosen = account
    if chosen is None and form.is_bound and form.is_valid():
        chosen = form.cleaned_data["account"]
    title = f"New quote for {account.name}" if account else "New quote"
    if opportunity is not None:
        title = f"New quote for {opportunity.name}"
        cancel_url = reverse("crm:opportunity_detail", args=[opportunity.pk])
    else:
        cancel_url = reverse("sales:quote_list")
    return render_editor(
        request,
        kind="quote",
        form=form,
        formset=formset,
        title=title,
        cancel_url=cancel_url,
        account=chosen,
        submit_label="Create quote",
    )


@sales_permission("change_quote")
@require_http_methods(["GET", "POST"])
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _quote(pk)
    if quote.status not in EDITABLE:
        messages.error(request, "Only draft quotes can be edited.")
        return redirect("sales:quote_detail", pk=pk)
    initial = {
        "contact": quote.contact_id,
        "opportunity": quote.opportunity_id,
        "currency": quote.currency,
        "valid_until": quote.valid_until,
        "notes": quote.notes,
    }
    form = QuoteForm(request.POST or None, fixed_account=quote.account, initial=initial)
    lines = quote.lines.select_related("product").order_by("position", "id")
    formset = line_formset(request.POST or None, initial=initial_lines(lines))
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        updated = save_with(
            form,
            lambda: services.quote_update(
                quote=Quote.objects.get(pk=pk),
                lines=formset.lines(),
                actor=request.user,
                **_header(form),
            ),
        )
        if updated is not None:
            messages.success(request, f"Quote {quote.number} saved.")
            return redirect("sales:quote_detail", pk=pk)
    return render_editor(
        request,
        kind="quote",
        form=form,
        formset=formset,
        title=f"Edit quote {quote.number}",
        cancel_url=reverse("sales:quote_detail", args=[pk]),
        account=quote.account,
        submit_label="Save quote",
    )


def _detail_context(request: HttpRequest, quote: Quote) -> dict[str, Any]:
    return {
        "quote": quote,
        "lines": quote.lines.select_related("product").order_by("position", "id"),
        "can_edit": can(request, "change_quote") and quote.status in EDITABLE,
        "can_act": can(request, "change_quote") and quote.status in OPEN,
        "can_send": can(request, "change_quote") and quote.status == Quote.Status.DRAFT,
        "company_name": settings.TANDEM_COMPANY_NAME,
    }


@sales_permission("view_quote")
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "sales/quote_detail.html", _detail_context(request, _quote(pk)))


@sales_permission("view_quote")
@require_GET
def quote_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The quote as a standalone document for printing or saving as PDF from the browser."""
    return render(request, "sales/quote_print.html", _detail_context(request, _quote(pk)))


@sales_permission("change_quote")
@require_POST
def quote_send(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_object_or_404(Quote, pk=pk)
    run_action(
        request,
        lambda: services.quote_send(quote=quote, actor=request.user),
        f"Quote {quote.number} marked as sent.",
    )
    return redirect("sales:quote_detail", pk=pk)


@sales_permission("change_quote", "add_salesorder")
@require_POST
def quote_accept(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_object_or_404(Quote, pk=pk)
    accepted = run_action(
        request,
        lambda: services.quote_accept(quote=quote, actor=request.user),
        f"Quote {quote.number} accepted: a draft order was created from it.",
    )
    if accepted is not None and accepted.order_id:
        return redirect("sales:order_detail", pk=accepted.order_id)
    return redirect("sales:quote_detail", pk=pk)


@sales_permission("change_quote")
@require_POST
def quote_reject(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_object_or_404(Quote, pk=pk)
    run_action(
        request,
        lambda: services.quote_reject(quote=quote, actor=request.user),
        f"Quote {quote.number} rejected.",
    )
    return redirect("sales:quote_detail", pk=pk)
