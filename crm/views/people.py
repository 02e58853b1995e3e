"""Contact and lead pages: lists, details, forms, and converting a lead."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from crm import selectors, services
from crm.forms import ContactFilterForm, ContactForm, LeadConvertForm, LeadFilterForm, LeadForm
from crm.models import Account, Contact, Lead
from crm.views.common import can, crm_permission
from integration.page_forms import form_page, save_with
from integration.pages import Column, CsvColumn, ListPage, new_action, render_list


def _contacts(*, search: str, filters: dict) -> QuerySet[Contact]:
    return selectors.contact_list(filters=filters, search=search)


CONTACT_LIST = ListPage(
    template="components/list_page.html",
    row_template="crm/_contact_row.html",
    filter_form=ContactFilterForm,
    queryset=_contacts,
    columns=[
        Column("Name", "last_name"),
        Column("Account"),
        Column("E-mail", "email"),
        Column("Title", "title"),
        Column("Consent"),
        Column("Updated", "updated_at", "text-end"),
    ],
    default_sort="last_name",
    csv_columns=[
        CsvColumn("id", lambda c: c.pk),
        CsvColumn("account_id", lambda c: c.account_id),
        CsvColumn("account", lambda c: c.account.name),
        CsvColumn("first_name", lambda c: c.first_name),
        CsvColumn("last_name", lambda c: c.last_name),
        CsvColumn("email", lambda c: c.email),
        CsvColumn("phone", lambda c: c.phone),
        CsvColumn("title", lambda c: c.title),
        CsvColumn("marketing_consent", lambda c: "yes" if c.marketing_consent else "no"),
    ],
    csv_filename="contacts.csv",
    table_id="contact-table",
    empty_title="No contacts found",
)

LEAD_LIST = ListPage(
    template="components/list_page.html",
    row_template="crm/_lead_row.html",
    filter_form=LeadFilterForm,
    queryset=lambda *, search, filters: selectors.lead_list(filters=filters, search=search),
    columns=[
        Column("Name", "last_name"),
        Column("Company", "company"),
        Column("E-mail", "email"),
        Column("Source", "source"),
        Column("Status", "status"),
        Column("Score", "score", "text-end"),
        Column("Created", "created_at", "text-end"),
    ],
    default_sort="-created_at",
    csv_columns=[
        CsvColumn("id", lambda lead: lead.pk),
        CsvColumn("first_name", lambda lead: lead.first_name),
        CsvColumn("last_name", lambda lead: lead.last_name),
        CsvColumn("company", lambda lead: lead.company),
        CsvColumn("email", lambda lead: lead.email),
        CsvColumn("source", lambda lead: lead.source),
        CsvColumn("status", lambda lead: lead.status),
        CsvColumn("score", lambda lead: lead.score),
        CsvColumn("created_at", lambda lead: lead.created_at.isoformat()),
    ],
    csv_filename="leads.csv",
    table_id="lead-table",
    empty_title="No leads found",
)


def _crumb(**context):
    return {"breadcrumb_url": reverse("crm:index"), "breadcrumb_label": "CRM", **context}


# ------------------------------------------------------------------ contacts


@crm_permission("view_contact")
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    actions = new_action(request, "crm.add_contact", "crm:contact_create", "New contact")
    return render_list(
        request,
        CONTACT_LIST,
        context=_crumb(
            title="Contacts",
            subtitle="People at your accounts.",
            actions=actions,
            search_placeholder="Name or e-mail…",
        ),
    )


@crm_permission("view_contact")
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("account", "owner"), pk=pk)
    return render(
        request,
        "crm/contact_detail.html",
        {
            "contact": contact,
            "opportunities": contact.opportunities.select_related("stage")[:50],
            "activities": contact.activities.select_related("owner").order_by(
                "done", "-created_at"
            )[:50],
            "memberships": contact.campaign_memberships.select_related("campaign")[:20],
            "can_edit": can(request, "change_contact"),
            "can_delete": can(request, "delete_contact"),
        },
    )


@crm_permission("add_contact")
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    account = None
    account_id = request.GET.get("account", "")
    if account_id.isdigit():
        account = get_object_or_404(Account, pk=account_id)
    form = ContactForm(
        request.POST or None, fixed_account=account, initial={"owner": request.user.pk}
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        target = fields.pop("account")
        contact = save_with(
            form, lambda: services.contact_create(account=target, user=request.user, **fields)
        )
        if contact is not None:
            messages.success(request, f"Contact “{contact.full_name}” added.")
            return redirect("crm:contact_detail", pk=contact.pk)
    cancel = (
        reverse("crm:account_detail", args=[account.pk]) if account else reverse("crm:contact_list")
    )
    return form_page(
        request,
        form,
        title=f"New contact at {account.name}" if account else "New contact",
        cancel_url=cancel,
        submit_label="Add contact",
    )


@crm_permission("change_contact")
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("account"), pk=pk)
    title = f"Edit {contact.full_name}"
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        fields.pop("account", None)
        fresh = Contact.objects.get(pk=pk)
        if save_with(form, lambda: services.contact_update(contact=fresh, **fields)) is not None:
            messages.success(request, "Contact saved.")
            return redirect("crm:contact_detail", pk=pk)
    return form_page(
        request, form, title=title, cancel_url=reverse("crm:contact_detail", args=[pk])
    )


@crm_permission("delete_contact")
@require_http_methods(["POST"])
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    account_id = contact.account_id
    services.contact_delete(contact=contact)
    messages.success(request, "Contact deleted.")
    return redirect("crm:account_detail", pk=account_id)


# ------------------------------------------------------------------ leads


@crm_permission("view_lead")
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    actions = new_action(request, "crm.add_lead", "crm:lead_create", "New lead")
    return render_list(
        request,
        LEAD_LIST,
        context=_crumb(
            title="Leads",
            subtitle="Interest not yet qualified.",
            actions=actions,
            search_placeholder="Name, company or e-mail…",
        ),
    )


@crm_permission("view_lead")
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(
        Lead.objects.select_related(
            "owner", "campaign", "converted_account", "converted_contact", "converted_opportunity"
        ),
        pk=pk,
    )
    return render(
        request,
        "crm/lead_detail.html",
        {
            "lead": lead,
            "can_edit": can(request, "change_lead") and lead.status != Lead.Status.CONVERTED,
            "can_convert": can(request, "change_lead") and lead.converted_at is None,
        },
    )


@crm_permission("add_lead")
@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    form = LeadForm(request.POST or None, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        lead = save_with(form, lambda: services.lead_create(user=request.user, **fields))
        if lead is not None:
            messages.success(request, "Lead created.")
            return redirect("crm:lead_detail", pk=lead.pk)
    return form_page(
        request,
        form,
        title="New lead",
        cancel_url=reverse("crm:lead_list"),
        submit_label="Create lead",
    )


@crm_permission("change_lead")
@require_http_methods(["GET", "POST"])
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead, pk=pk)
    title = f"Edit {lead}"
    form = LeadForm(request.POST or None, instance=lead)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        fresh = Lead.objects.get(pk=pk)
        if save_with(form, lambda: services.lead_update(lead=fresh, **fields)) is not None:
            messages.success(request, "Lead saved.")
            return redirect("crm:lead_detail", pk=pk)
    return form_page(request, form, title=title, cancel_url=reverse("crm:lead_detail", args=[pk]))


def _matches(lead: Lead) -> tuple[list[Account], list[Contact]]:
    """Existing accounts and contacts the lead probably is (same e-mail or e-mail domain)."""
    found = selectors.conversion_matches(lead=lead)
    if isinstance(found, dict):
        accounts, contacts = found.get("accounts", []), found.get("contacts", [])
    else:
        accounts, contacts = found
    return list(accounts)[:20], list(contacts)[:20]


@crm_permission("change_lead")
@require_http_methods(["GET", "POST"])
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead, pk=pk)
    if lead.converted_at is not None:
        messages.info(request, "This lead has already been converted.")
        return redirect("crm:lead_detail", pk=pk)
    accounts, contacts = _matches(lead)
    initial = {"opportunity_name": f"{lead.company or lead}".strip()}
    form = LeadConvertForm(
        request.POST or None, accounts=accounts, contacts=contacts, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        account, contact = data.get("account"), data.get("contact")
        if contact and not account:
            account = contact.account
        converted = save_with(
            form,
            lambda: services.lead_convert(
                lead=lead,
                user=request.user,
                account=account,
                contact=contact,
                opportunity_name=data.get("opportunity_name") or None,
                amount=data.get("amount"),
            ),
        )
        if converted is not None:
            messages.success(request, "Lead converted.")
            return redirect("crm:account_detail", pk=converted.converted_account_id)
    return form_page(
        request,
        form,
        title=f"Convert {lead}",
        subtitle="Makes an account, a contact and, if named, an opportunity in one step.",
        cancel_url=reverse("crm:lead_detail", args=[pk]),
        submit_label="Convert lead",
        before_form_template="crm/_convert_matches.html",
        match_accounts=accounts,
        match_contacts=contacts,
    )
