"""Marketing pages: segments with a live preview count, campaigns and the three-step wizard."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import Context, Template, TemplateSyntaxError
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm import selectors, services
from crm.forms import (
    CampaignContentForm,
    CampaignFilterForm,
    CampaignStartForm,
    SegmentFilterForm,
    SegmentForm,
)
from crm.models import Campaign, Contact, Segment
from crm.views.common import can, crm_permission
from integration.page_forms import form_page, run_action, save_with
from integration.pages import COUNT_LIMIT, Column, ListPage, new_action, render_list


def _segments(*, search: str, filters: dict):
    queryset = Segment.objects.select_related("owner")
    return queryset.filter(name__icontains=search) if search else queryset


def _campaigns(*, search: str, filters: dict):
    queryset = Campaign.objects.select_related("segment", "owner")
    if search:
        queryset = queryset.filter(name__icontains=search)
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    return queryset


SEGMENT_LIST = ListPage(
    template="components/list_page.html",
    row_template="crm/_segment_row.html",
    filter_form=SegmentFilterForm,
    queryset=_segments,
    columns=[
        Column("Name", "name"),
        Column("Criteria"),
        Column("Updated", "updated_at", "text-end"),
    ],
    default_sort="name",
    table_id="segment-table",
    empty_title="No segments yet",
    empty_text="A segment is a saved filter over accounts and their contacts.",
)

CAMPAIGN_LIST = ListPage(
    template="components/list_page.html",
    row_template="crm/_campaign_row.html",
    filter_form=CampaignFilterForm,
    queryset=_campaigns,
    columns=[
        Column("Name", "name"),
        Column("Segment"),
        Column("Status", "status"),
        Column("Sent", "sent_at", "text-end"),
    ],
    default_sort="-created_at",
    table_id="campaign-table",
    empty_title="No campaigns yet",
)


def _crumb(**context):
    return {"breadcrumb_url": reverse("crm:index"), "breadcrumb_label": "CRM", **context}


def _count(queryset) -> tuple[int, bool]:
    counted = queryset.order_by()[: COUNT_LIMIT + 1].count()
    return min(counted, COUNT_LIMIT), counted > COUNT_LIMIT


def recipients(segment: Segment):
    """The contacts a campaign to `segment` e-mails: consenting, with an address."""
    return (
        selectors.segment_contacts(segment)
        .filter(marketing_consent=True)
        .exclude(email="")
        .select_related("account")
    )


# ------------------------------------------------------------------ segments


@crm_permission("view_segment")
@require_GET
def segment_list(request: HttpRequest) -> HttpResponse:
    actions = new_action(request, "crm.add_segment", "crm:segment_create", "New segment")
    return render_list(
        request,
        SEGMENT_LIST,
        context=_crumb(title="Segments", subtitle="Saved filters over accounts.", actions=actions),
    )


def _segment_form(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    form = SegmentForm(request.POST or None, instance=segment)
    if request.method == "POST" and form.is_valid():
        name, description = form.cleaned_data["name"], form.cleaned_data["description"]
        criteria = form.criteria()
        if segment is None:
            action = lambda: services.segment_create(  # noqa: E731
                name=name, description=description, criteria=criteria, user=request.user
            )
        else:
            fresh = Segment.objects.get(pk=segment.pk)
            action = lambda: services.segment_update(  # noqa: E731
                segment=fresh, name=name, description=description, criteria=criteria
            )
        saved = save_with(form, action)
        if saved is not None:
            messages.success(request, f"Segment “{saved.name}” saved.")
            return redirect("crm:segment_list")
    return form_page(
        request,
        form,
        title="New segment" if segment is None else f"Edit segment {segment.name}",
        cancel_url=reverse("crm:segment_list"),
        extra_template="crm/_segment_preview_slot.html",
        preview_url=reverse("crm:segment_preview"),
    )


@crm_permission("add_segment")
@require_http_methods(["GET", "POST"])
def segment_create(request: HttpRequest) -> HttpResponse:
    return _segment_form(request, None)


@crm_permission("change_segment")
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _segment_form(request, get_object_or_404(Segment, pk=pk))


@crm_permission("view_segment")
@require_POST
def segment_preview(request: HttpRequest) -> HttpResponse:
    """How many accounts and consenting contacts the criteria being edited would select."""
    form = SegmentForm(request.POST)
    form.is_valid()  # the name may still be empty or taken: only the criteria matter here
    invalid = any(key in form.errors for key in SegmentForm.CRITERIA)
    criteria = None if invalid else form.criteria()
    context = {"invalid": criteria is None}
    if criteria is not None:
        draft = Segment(name="preview", criteria=criteria)
        context["accounts"], context["accounts_capped"] = _count(selectors.segment_accounts(draft))
        context["contacts"], context["contacts_capped"] = _count(recipients(draft))
    return render(request, "crm/_segment_preview.html", context)


# ------------------------------------------------------------------ campaigns


@crm_permission("view_campaign")
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    actions = new_action(request, "crm.add_campaign", "crm:campaign_create", "New campaign")
    return render_list(
        request,
        CAMPAIGN_LIST,
        context=_crumb(
            title="Campaigns",
            subtitle="E-mails to the consenting contacts of a segment.",
            actions=actions,
        ),
    )


@crm_permission("view_campaign")
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("segment", "owner"), pk=pk)
    if campaign.status == Campaign.Status.DRAFT and can(request, "change_campaign"):
        return redirect("crm:campaign_content", pk=pk)
    members = campaign.members.select_related("contact", "contact__account").order_by("id")[:200]
    counts = {status: 0 for status, _ in campaign.members.model.Status.choices}
    for status in campaign.members.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return render(
        request,
        "crm/campaign_detail.html",
        {"campaign": campaign, "members": members, "counts": counts},
    )


def _wizard(request, campaign, step: int, form, **context) -> HttpResponse:
    return render(
        request,
        "crm/campaign_wizard.html",
        {"campaign": campaign, "step": step, "form": form, **context},
    )


@crm_permission("add_campaign")
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    """Wizard step 1: name and segment. Saves a draft; the next steps edit it."""
    form = CampaignStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        campaign = save_with(
            form,
            lambda: services.campaign_create(
                name=data["name"], segment=data["segment"], user=request.user
            ),
        )
        if campaign is not None:
            return redirect("crm:campaign_content", pk=campaign.pk)
    return _wizard(request, None, 1, form)


def _draft(pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("segment"), pk=pk)


def render_body(body: str, contact: Contact) -> str:
    """The e-mail text one contact would get (the same context campaign_send uses)."""
    try:
        context = Context({"contact": contact, "account": contact.account}, autoescape=False)
        return Template(body).render(context)
    except TemplateSyntaxError as error:
        return f"(The template does not parse: {error})"


@crm_permission("change_campaign")
@require_http_methods(["GET", "POST"])
def campaign_content(request: HttpRequest, pk: int) -> HttpResponse:
    """Wizard step 2: subject and body, with a preview for one recipient."""
    campaign = _draft(pk)
    if campaign.status != Campaign.Status.DRAFT:
        return redirect("crm:campaign_detail", pk=pk)
    initial = {"subject": campaign.subject, "body": campaign.body}
    form = CampaignContentForm(request.POST or None, initial=initial)
    preview = None
    sample = recipients(campaign.segment).first() if campaign.segment_id else None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            if sample is not None:
                preview = {
                    "contact": sample,
                    "subject": render_body(data["subject"], sample),
                    "body": render_body(data["body"], sample),
                }
        else:
            fresh = Campaign.objects.get(pk=pk)
            saved = save_with(
                form,
                lambda: services.campaign_update(
                    campaign=fresh, subject=data["subject"], body=data["body"]
                ),
            )
            if saved is not None:
                return redirect("crm:campaign_review", pk=pk)
    return _wizard(request, campaign, 2, form, preview=preview, sample=sample)


@crm_permission("change_campaign")
@require_http_methods(["GET", "POST"])
def campaign_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Wizard step 3: how many consenting contacts get it; send."""
    campaign = _draft(pk)
    if campaign.status != Campaign.Status.DRAFT:
        return redirect("crm:campaign_detail", pk=pk)
    if not campaign.subject or not campaign.body:
        messages.info(request, "Write the e-mail first.")
        return redirect("crm:campaign_content", pk=pk)
    if request.method == "POST":
        sent = run_action(
            request, lambda: services.campaign_send(campaign=campaign), "Campaign sent."
        )
        if sent is not None:
            return redirect("crm:campaign_detail", pk=pk)
    count, capped = _count(recipients(campaign.segment)) if campaign.segment_id else (0, False)
    total, _ = (
        _count(selectors.segment_contacts(campaign.segment)) if campaign.segment_id else (0, False)
    )
    return _wizard(
        request,
        campaign,
        3,
        None,
        recipient_count=count,
        recipient_capped=capped,
        contact_count=total,
    )
