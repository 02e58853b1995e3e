"""Account pages: list with search, filters and CSV; detail; create (duplicate guard); merge."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm import selectors, services
from crm.forms import AccountFilterForm, AccountForm, MergeForm
from crm.models import Account
from crm.views.common import can, crm_permission
from integration.page_forms import form_page, run_action, save_with
from integration.pages import Column, CsvColumn, ListPage, render_list, url_maker


def _owner_name(obj) -> str:
    return (obj.owner.get_full_name() or obj.owner.get_username()) if obj.owner_id else ""


def _account_rows(accounts: list[Account]) -> list[dict]:
    """What crm/_account_row.html shows, computed once per row: the template then reads
    plain dict keys instead of model attributes, methods and filters (a third of the
    page's rendering time)."""
    detail_url = url_maker("crm:account_detail")
    return [
        {
            "url": detail_url(account.pk),
            "name": account.name,
            "domain": account.domain,
            "status": account.status,
            "status_label": account.get_status_display(),
            "industry": account.industry,
            "country": account.billing_country,
            "owner": _owner_name(account),
            "tags": [tag.name for tag in account.tags.all()],
            "updated_at": localtime(account.updated_at).strftime("%Y-%m-%d %H:%M"),
            "updated_ago": naturaltime(account.updated_at),
        }
        for account in accounts
    ]


ACCOUNT_LIST = ListPage(
    template="components/list_page.html",
    row_template="crm/_account_row.html",
    filter_form=AccountFilterForm,
    queryset=lambda *, search, filters: selectors.account_list(filters=filters, search=search),
    columns=[
        Column("Name", "name"),
        Column("Status", "status"),
        Column("Industry", "industry"),
        Column("Country", "billing_country"),
        Column("Owner"),
        Column("Tags"),
        Column("Updated", "updated_at", "text-end"),
    ],
    default_sort="name",
    csv_columns=[
        CsvColumn("id", lambda a: a.pk),
        CsvColumn("name", lambda a: a.name),
        CsvColumn("kind", lambda a: a.kind),
        CsvColumn("status", lambda a: a.status),
        CsvColumn("industry", lambda a: a.industry),
        CsvColumn("website", lambda a: a.website),
        CsvColumn("email", lambda a: a.email),
        CsvColumn("phone", lambda a: a.phone),
        CsvColumn("billing_country", lambda a: a.billing_country),
        CsvColumn("owner", _owner_name),
        CsvColumn("tags", lambda a: ", ".join(tag.name for tag in a.tags.all())),
        CsvColumn("created_at", lambda a: a.created_at.isoformat()),
    ],
    csv_filename="accounts.csv",
    present=_account_rows,
    table_id="account-table",
    empty_title="No accounts found",
)


@crm_permission("view_account")
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    actions = []
    if can(request, "add_account"):
        actions = [
            {"url": reverse("crm:import"), "label": "Import CSV"},
            {"url": reverse("crm:account_create"), "label": "New account", "testid": "new"},
        ]
    return render_list(
        request,
        ACCOUNT_LIST,
        context={
            "title": "Accounts",
            "subtitle": "Companies and people you do business with.",
            "actions": actions,
            "search_placeholder": "Name or contact e-mail…",
            "breadcrumb_url": reverse("crm:index"),
            "breadcrumb_label": "CRM",
        },
    )


@crm_permission("view_account")
@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(
        Account.objects.select_related("owner", "parent").prefetch_related("tags"), pk=pk
    )
    duplicates = list(
        selectors.account_duplicates(
            name=account.name, website=account.website, email=account.email, exclude_id=account.pk
        )[:10]
    )
    context = {
        "account": account,
        "contacts": account.contacts.select_related("owner").order_by("last_name", "first_name")[
            :100
        ],
        "opportunities": account.opportunities.select_related("stage", "owner").order_by(
            "status", "-created_at"
        )[:100],
        "activities": account.activities.select_related("owner", "contact").order_by(
            "done", "-created_at"
        )[:50],
        "duplicates": duplicates,
        "merge_form": MergeForm(account=account, candidates=duplicates),
        "can_edit": can(request, "change_account"),
        "can_merge": can(request, "change_account") and can(request, "delete_account"),
        "can_delete": can(request, "delete_account"),
        "can_add_contact": can(request, "add_contact"),
        "can_add_opportunity": can(request, "add_opportunity"),
        "can_add_activity": can(request, "add_activity"),
    }
    return render(request, "crm/account_detail.html", context)


@crm_permission("add_account")
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None, initial={"owner": request.user.pk})
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("confirm_duplicate") != "1":
            duplicates = list(
                selectors.account_duplicates(
                    name=data["name"], website=data.get("website", ""), email=data.get("email", "")
                )[:10]
            )
        if not duplicates:
            fields = dict(data)
            account = save_with(
                form,
                lambda: services.account_create(user=request.user, **fields),
            )
            if account is not None:
                messages.success(request, f"Account “{account.name}” created.")
                return redirect("crm:account_detail", pk=account.pk)
    return form_page(
        request,
        form,
        title="New account",
        cancel_url=reverse("crm:account_list"),
        submit_label="Create account",
        duplicates=duplicates,
        before_form_template="crm/_duplicate_warning.html" if duplicates else "",
        extra_template="crm/_duplicate_confirm.html" if duplicates else "",
    )


@crm_permission("change_account")
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account.objects.prefetch_related("tags"), pk=pk)
    name = account.name  # is_valid() copies the input onto the instance
    form = AccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        tags = fields.pop("tags")
        # The ModelForm already copied the input onto `account`; the service gets a clean copy.
        fresh = Account.objects.get(pk=pk)
        updated = save_with(
            form, lambda: services.account_update(account=fresh, tags=tags, **fields)
        )
        if updated is not None:
            messages.success(request, "Account saved.")
            return redirect("crm:account_detail", pk=pk)
    return form_page(
        request,
        form,
        title=f"Edit {name}",
        cancel_url=reverse("crm:account_detail", args=[pk]),
    )


@crm_permission("delete_account")
@require_POST
def account_delete(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account, pk=pk)
    name = account.name
    done = run_action(
        request, lambda: services.account_delete(account=account) or True, f"“{name}” deleted."
    )
    if done:
        return redirect("crm:account_list")
    return redirect("crm:account_detail", pk=pk)


@crm_permission("change_account", "delete_account")
@require_POST
def account_merge(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account, pk=pk)
    form = MergeForm(request.POST, account=account)
    if not form.is_valid():
        messages.error(request, "Choose the duplicate account to merge.")
        return redirect("crm:account_detail", pk=pk)
    duplicate = form.cleaned_data["duplicate"]
    run_action(
        request,
        lambda: services.account_merge(into=account, duplicate=duplicate),
        f"“{duplicate.name}” was merged into this account.",
    )
    return redirect("crm:account_detail", pk=pk)
