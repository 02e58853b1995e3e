"""Opportunity and activity pages: lists, forms, the kanban board, the forecast, task completion."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm import selectors, services
from crm.forms import (
    ActivityFilterForm,
    ActivityForm,
    OpportunityFilterForm,
    OpportunityForm,
    OpportunityMoveForm,
)
from crm.models import Account, Activity, Opportunity
from crm.views.common import can, crm_permission
from integration.page_forms import form_page, run_action, save_with
from integration.pages import Column, CsvColumn, ListPage, new_action, render_list

OPPORTUNITY_LIST = ListPage(
    template="components/list_page.html",
    row_template="crm/_opportunity_row.html",
    filter_form=OpportunityFilterForm,
    queryset=lambda *, search, filters: selectors.opportunity_list(filters=filters, search=search),
    columns=[
        Column("Name", "name"),
        Column("Account"),
        Column("Stage"),
        Column("Amount", "amount", "text-end"),
        Column("Close date", "expected_close_date"),
        Column("Owner"),
        Column("Status", "status"),
    ],
    default_sort="-created_at",
    csv_columns=[
        CsvColumn("id", lambda o: o.pk),
        CsvColumn("name", lambda o: o.name),
        CsvColumn("account_id", lambda o: o.account_id),
        CsvColumn("account", lambda o: o.account.name),
        CsvColumn("stage", lambda o: o.stage.name),
        CsvColumn("amount", lambda o: o.amount),
        CsvColumn("currency", lambda o: o.currency),
        CsvColumn("expected_close_date", lambda o: o.expected_close_date or ""),
        CsvColumn("status", lambda o: o.status),
        CsvColumn("probability", lambda o: o.probability),
    ],
    csv_filename="opportunities.csv",
    table_id="opportunity-table",
    empty_title="No opportunities found",
)

ACTIVITY_LIST = ListPage(
    template="components/list_page.html",
    row_template="crm/_activity_row.html",
    filter_form=ActivityFilterForm,
    queryset=lambda *, search, filters: selectors.activity_list(filters=filters, search=search),
    columns=[
        Column("Subject", "subject"),
        Column("Kind", "kind"),
        Column("About"),
        Column("Due", "due_at"),
        Column("Owner"),
        Column("", css="text-end"),
    ],
    default_sort="-created_at",
    csv_columns=[
        CsvColumn("id", lambda a: a.pk),
        CsvColumn("kind", lambda a: a.kind),
        CsvColumn("subject", lambda a: a.subject),
        CsvColumn("account_id", lambda a: a.account_id or ""),
        CsvColumn("due_at", lambda a: a.due_at.isoformat() if a.due_at else ""),
        CsvColumn("done", lambda a: "yes" if a.done else "no"),
    ],
    csv_filename="activities.csv",
    table_id="activity-table",
    empty_title="No activities found",
)


def _crumb(**context):
    return {"breadcrumb_url": reverse("crm:index"), "breadcrumb_label": "CRM", **context}


def _account_from_query(request: HttpRequest) -> Account | None:
    account_id = request.GET.get("account", "")
    return get_object_or_404(Account, pk=account_id) if account_id.isdigit() else None


# ------------------------------------------------------------------ opportunities


@crm_permission("view_opportunity")
@require_GET
def opportunity_list(request: HttpRequest) -> HttpResponse:
    actions = [
        {"url": reverse("crm:opportunity_board"), "label": "Board"},
        {"url": reverse("crm:forecast"), "label": "Forecast"},
    ]
    if can(request, "add_opportunity"):
        actions.append(
            {"url": reverse("crm:opportunity_create"), "label": "New opportunity", "testid": "new"}
        )
    return render_list(
        request,
        OPPORTUNITY_LIST,
        context=_crumb(
            title="Opportunities",
            subtitle="Deals in the pipeline.",
            actions=actions,
            search_placeholder="Name or account…",
        ),
    )


@crm_permission("view_opportunity")
@require_GET
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_object_or_404(
        Opportunity.objects.select_related(
            "account", "contact", "stage", "owner", "source_campaign"
        ),
        pk=pk,
    )
    return render(
        request,
        "crm/opportunity_detail.html",
        {
            "opportunity": opportunity,
            "activities": opportunity.activities.select_related("owner").order_by(
                "done", "-created_at"
            )[:50],
            "stages": list(opportunity.stage.pipeline.stages.all()),
            "can_edit": can(request, "change_opportunity"),
        },
    )


@crm_permission("add_opportunity")
@require_http_methods(["GET", "POST"])
def opportunity_create(request: HttpRequest) -> HttpResponse:
    account = _account_from_query(request)
    form = OpportunityForm(
        request.POST or None, fixed_account=account, initial={"owner": request.user.pk}
    )
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        target = fields.pop("account")
        opportunity = save_with(
            form,
            lambda: services.opportunity_create(account=target, user=request.user, **fields),
        )
        if opportunity is not None:
            messages.success(request, f"Opportunity “{opportunity.name}” created.")
            return redirect("crm:opportunity_detail", pk=opportunity.pk)
    return form_page(
        request,
        form,
        title=f"New opportunity for {account.name}" if account else "New opportunity",
        cancel_url=reverse("crm:account_detail", args=[account.pk])
        if account
        else reverse("crm:opportunity_list"),
        submit_label="Create opportunity",
    )


@crm_permission("change_opportunity")
@require_http_methods(["GET", "POST"])
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_object_or_404(Opportunity.objects.select_related("account"), pk=pk)
    title = f"Edit {opportunity.name}"
    form = OpportunityForm(
        request.POST or None, instance=opportunity, fixed_account=opportunity.account
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        fields.pop("account", None)
        fresh = Opportunity.objects.get(pk=pk)
        if save_with(form, lambda: services.opportunity_update(opportunity=fresh, **fields)):
            messages.success(request, "Opportunity saved.")
            return redirect("crm:opportunity_detail", pk=pk)
    return form_page(
        request, form, title=title, cancel_url=reverse("crm:opportunity_detail", args=[pk])
    )


def _board_context(request: HttpRequest) -> dict:
    pipeline = selectors.pipeline_default()
    columns = []
    for stage, opportunities in selectors.opportunity_board(pipeline=pipeline, filters={}):
        cards = list(opportunities)
        columns.append(
            {
                "stage": stage,
                "cards": cards,
                "total": sum((card.amount for card in cards), start=0),
            }
        )
    return {
        "pipeline": pipeline,
        "columns": columns,
        "stages": [column["stage"] for column in columns],
        "can_move": can(request, "change_opportunity"),
    }


@crm_permission("view_opportunity")
@require_GET
def opportunity_board(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/opportunity_board.html", _board_context(request))


@crm_permission("change_opportunity")
@require_POST
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """The board's drop target (htmx) and the cards' "move to" form (plain POST)."""
    opportunity = get_object_or_404(Opportunity, pk=pk)
    form = OpportunityMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a stage to move the opportunity to.")
    else:
        stage = form.cleaned_data["stage"]
        run_action(
            request,
            lambda: services.opportunity_move(
                opportunity=opportunity,
                stage=stage,
                lost_reason=form.cleaned_data.get("lost_reason", ""),
            ),
            f"“{opportunity.name}” moved to {stage.name}.",
        )
    if request.htmx:
        # The board swaps itself; messages travel in the re-rendered board.
        return render(request, "crm/opportunity_board.html#board", _board_context(request))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("crm:opportunity_board")
    return redirect(target)


# Per currency: the weighted bar, then the (lighter) pipeline bar.
FORECAST_COLORS = (("#1f4e79", "#a5b8c9"), ("#7a4e1f", "#d1bfa8"), ("#2f6b3a", "#b3cdb8"))


@crm_permission("view_opportunity")
@require_GET
def forecast(request: HttpRequest) -> HttpResponse:
    series = selectors.forecast(months=6)
    datasets = []
    for n, one in enumerate(series):
        weighted, pipeline = FORECAST_COLORS[n % len(FORECAST_COLORS)]
        datasets += [
            {
                "label": f"Weighted {one.currency}",
                "data": [str(row["weighted_amount"]) for row in one.months],
                "color": weighted,
            },
            {
                "label": f"Pipeline {one.currency}",
                "data": [str(row["amount"]) for row in one.months],
                "color": pipeline,
            },
        ]
    chart = {
        "labels": [str(row["month"])[:7] for row in series[0].months],
        "datasets": datasets,
    }
    return render(request, "crm/forecast.html", {"series": series, "chart": chart})


# ------------------------------------------------------------------ activities


@crm_permission("view_activity")
@require_GET
def activity_list(request: HttpRequest) -> HttpResponse:
    actions = new_action(request, "crm.add_activity", "crm:activity_create", "Log activity")
    return render_list(
        request,
        ACTIVITY_LIST,
        context=_crumb(
            title="Activities",
            subtitle="Calls, e-mails, meetings, tasks and notes.",
            actions=actions,
            search_placeholder="Subject…",
        ),
    )


@crm_permission("add_activity")
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    account = _account_from_query(request)
    initial = {"account": account.pk} if account else {}
    form = ActivityForm(request.POST or None, initial={**initial, "owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        subject, kind = fields.pop("subject"), fields.pop("kind")
        activity = save_with(
            form,
            lambda: services.activity_log(subject=subject, kind=kind, user=request.user, **fields),
        )
        if activity is not None:
            messages.success(request, "Activity logged.")
            if activity.account_id:
                return redirect("crm:account_detail", pk=activity.account_id)
            return redirect("crm:activity_list")
    return form_page(
        request,
        form,
        title="Log activity",
        cancel_url=reverse("crm:account_detail", args=[account.pk])
        if account
        else reverse("crm:activity_list"),
        submit_label="Log activity",
    )


@crm_permission("change_activity")
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(Activity, pk=pk)
    form = ActivityForm(request.POST or None, instance=activity)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        fresh = Activity.objects.get(pk=pk)
        if save_with(form, lambda: services.activity_update(activity=fresh, **fields)):
            messages.success(request, "Activity saved.")
            return redirect("crm:activity_list")
    return form_page(request, form, title="Edit activity", cancel_url=reverse("crm:activity_list"))


@crm_permission("change_activity")
@require_POST
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(Activity, pk=pk)
    done = run_action(
        request, lambda: services.activity_complete(activity=activity), "Activity completed."
    )
    if request.htmx and done is not None:
        return render(request, "crm/_activity_item.html", {"activity": done})
    target = request.POST.get("next") or request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("crm:activity_list")
    return redirect(target)
