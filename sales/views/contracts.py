"""Contract pages: list with filters, detail, create/edit (with the document upload), end."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.models import Account
from integration.page_forms import form_page, run_action, save_with
from integration.pages import Column, CsvColumn, ListPage, new_action, render_list
from sales import page_queries, services
from sales.forms import ContractFilterForm, ContractForm
from sales.models import Contract
from sales.views.common import can, crumb, sales_permission

CONTRACT_LIST = ListPage(
    template="components/list_page.html",
    row_template="sales/_contract_row.html",
    filter_form=ContractFilterForm,
    queryset=page_queries.contract_rows,
    columns=[
        Column("Number", "number"),
        Column("Title", "title"),
        Column("Account", "account__name"),
        Column("Status", "status"),
        Column("Value", "value", "text-end"),
        Column("Starts", "start_date"),
        Column("Ends", "end_date"),
    ],
    default_sort="end_date",
    csv_columns=[
        CsvColumn("number", lambda c: c.number),
        CsvColumn("title", lambda c: c.title),
        CsvColumn("account", lambda c: c.account.name),
        CsvColumn("status", lambda c: c.status),
        CsvColumn("value", lambda c: c.value),
        CsvColumn("currency", lambda c: c.currency),
        CsvColumn("start_date", lambda c: c.start_date),
        CsvColumn("end_date", lambda c: c.end_date),
        CsvColumn("auto_renew", lambda c: "yes" if c.auto_renew else "no"),
    ],
    csv_filename="contracts.csv",
    table_id="contract-table",
    empty_title="No contracts found",
)

FIELDS = (
    "title",
    "start_date",
    "end_date",
    "value",
    "currency",
    "renewal_terms",
    "auto_renew",
    "document",
)


@sales_permission("view_contract")
@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    actions = new_action(request, "sales.add_contract", "sales:contract_create", "New contract")
    return render_list(
        request,
        CONTRACT_LIST,
        context=crumb(
            title="Contracts",
            subtitle="Agreements with customers, their terms and renewals.",
            actions=actions,
            search_placeholder="Number, title or account…",
        ),
    )


@sales_permission("view_contract")
@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(Contract.objects.select_related("account", "owner"), pk=pk)
    active = contract.status == Contract.Status.ACTIVE
    return render(
        request,
        "sales/contract_detail.html",
        {"contract": contract, "can_edit": can(request, "change_contract") and active, **crumb()},
    )


def _fields(form: ContractForm) -> dict[str, Any]:
    data = {name: form.cleaned_data.get(name) for name in FIELDS}
    if not data["currency"]:
        data.pop("currency")
    if not data["document"]:  # no new file: keep the current one
        data.pop("document")
    data["renewal_terms"] = data["renewal_terms"] or ""
    return data


@sales_permission("add_contract")
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("account", "").isdigit():
        initial["account"] = get_object_or_404(Account, pk=request.GET["account"]).pk
    form = ContractForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = _fields(form)
        account = form.cleaned_data["account"]
        contract = save_with(
            form, lambda: services.contract_create(account=account, actor=request.user, **fields)
        )
        if contract is not None:
            messages.success(request, f"Contract {contract.number} recorded.")
            return redirect("sales:contract_detail", pk=contract.pk)
    return form_page(
        request,
        form,
        title="New contract",
        cancel_url=reverse("sales:contract_list"),
        submit_label="Record contract",
        multipart=True,
    )


@sales_permission("change_contract")
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(Contract, pk=pk)
    title = f"Edit contract {contract.number}"
    form = ContractForm(request.POST or None, request.FILES or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        fields = _fields(form)
        updated = save_with(
            form,
            lambda: services.contract_update(
                contract=Contract.objects.get(pk=pk), actor=request.user, **fields
            ),
        )
        if updated is not None:
            messages.success(request, "Contract saved.")
            return redirect("sales:contract_detail", pk=pk)
    return form_page(
        request,
        form,
        title=title,
        cancel_url=reverse("sales:contract_detail", args=[pk]),
        multipart=True,
    )


@sales_permission("change_contract")
@require_POST
def contract_end(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(Contract, pk=pk)
    run_action(
        request,
        lambda: services.contract_end(contract=contract, actor=request.user),
        f"Contract {contract.number} ended.",
    )
    return redirect("sales:contract_detail", pk=pk)
