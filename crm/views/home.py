"""The CRM home page with key counts, and the CSV import of accounts and contacts."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from crm import services
from crm.forms import ImportForm
from crm.models import Account, Activity, Campaign, Contact, Lead, Opportunity
from crm.views.common import can, crm_permission
from integration.pages import COUNT_LIMIT

# The rows of an import waiting for confirmation live in the session between the steps.
IMPORT_SESSION_KEY = "crm_import"
IMPORTERS = {
    "accounts": (services.account_import, "add_account", "crm:account_list"),
    "contacts": (services.contact_import, "add_contact", "crm:contact_list"),
}


def _capped(queryset) -> dict:
    counted = queryset.order_by()[: COUNT_LIMIT + 1].count()
    return {"value": min(counted, COUNT_LIMIT), "capped": counted > COUNT_LIMIT}


@crm_permission()
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    sections = [
        ("view_account", "Accounts", "crm:account_list", Account.objects.all()),
        ("view_contact", "Contacts", "crm:contact_list", Contact.objects.all()),
        (
            "view_lead",
            "Open leads",
            "crm:lead_list",
            Lead.objects.exclude(status__in=[Lead.Status.CONVERTED, Lead.Status.DISQUALIFIED]),
        ),
        (
            "view_opportunity",
            "Open opportunities",
            "crm:opportunity_list",
            Opportunity.objects.filter(status=Opportunity.Status.OPEN),
        ),
        (
            "view_activity",
            "My open tasks",
            "crm:activity_list",
            Activity.objects.filter(owner=request.user, done=False),
        ),
        ("view_campaign", "Campaigns", "crm:campaign_list", Campaign.objects.all()),
    ]
    cards = [
        {"label": label, "url": reverse(url), **_capped(queryset)}
        for perm, label, url, queryset in sections
        if can(request, perm)
    ]
    links = [
        (perm, label, reverse(url))
        for perm, label, url in (
            ("view_opportunity", "Pipeline board", "crm:opportunity_board"),
            ("view_opportunity", "Forecast", "crm:forecast"),
            ("view_segment", "Segments", "crm:segment_list"),
            ("add_account", "Import CSV", "crm:import"),
        )
        if can(request, perm)
    ]
    return render(request, "crm/index.html", {"cards": cards, "links": links})


@crm_permission()
@require_http_methods(["GET", "POST"])
def import_csv(request: HttpRequest) -> HttpResponse:
    """Upload → preview with per-row errors → confirm. Nothing is written until confirmed,
    and nothing at all if any row is invalid (the service checks the whole file)."""
    if not (can(request, "add_account") or can(request, "add_contact")):
        raise PermissionDenied("You may not import accounts or contacts.")
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form}
    if request.method == "POST" and "confirm" in request.POST:
        pending = request.session.get(IMPORT_SESSION_KEY)
        if not pending:
            messages.error(request, "Upload the file again: the preview has expired.")
            return redirect("crm:import")
        importer, perm, list_url = IMPORTERS[pending["kind"]]
        if not can(request, perm):
            raise PermissionDenied
        result = importer(rows=pending["rows"], user=request.user, dry_run=False)
        del request.session[IMPORT_SESSION_KEY]
        if result.ok:
            messages.success(request, f"Imported {result.created} {pending['kind']}.")
            return redirect(list_url)
        messages.error(request, "The file has errors; nothing was imported.")
        context.update(result=result, kind=pending["kind"], rows=pending["rows"])
    elif request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        importer, perm, _ = IMPORTERS[kind]
        if not can(request, perm):
            raise PermissionDenied
        try:
            rows = services.read_csv(form.cleaned_data["file"].read())
        except (UnicodeDecodeError, ValueError, csv.Error):
            form.add_error("file", "This is not a UTF-8 CSV file.")
        else:
            result = importer(rows=rows, user=request.user, dry_run=True)
            if result.ok and rows:
                request.session[IMPORT_SESSION_KEY] = {"kind": kind, "rows": rows}
            context.update(result=result, kind=kind, rows=rows)
    if "result" in context:
        errors = dict(context["result"].errors)
        context["general_errors"] = errors.pop(0, None)
        context["preview"] = [
            {"number": number, "row": row, "errors": errors.get(number)}
            for number, row in enumerate(context["rows"][:500], start=1)
        ]
        context["columns"] = list(context["rows"][0].keys()) if context["rows"] else []
        context["error_count"] = len(context["result"].errors)
    return render(request, "crm/import.html", context)
