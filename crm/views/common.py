"""What every CRM page shares: permission checks, rendering a form page, showing domain errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.forms import apply_error
from integration.errors import DomainError
from integration.pages import page_permission


def crm_permission(*codenames: str) -> Callable:
    """Area "crm" plus the given crm model permissions, e.g. crm_permission("change_account")."""
    return page_permission("crm", *(f"crm.{codename}" for codename in codenames))


def can(request: HttpRequest, codename: str) -> bool:
    return request.user.has_perm(f"crm.{codename}")


def form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    title: str,
    cancel_url: str = "",
    submit_label: str = "Save",
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    return render(
        request,
        "components/form_page.html",
        {
            "form": form,
            "title": title,
            "cancel_url": cancel_url,
            "submit_label": submit_label,
            **context,
        },
        status=status,
    )


def save_with(form: forms.BaseForm, action: Callable[[], Any]) -> Any:
    """Run a service for a valid form; its ValidationError or DomainError lands on the form."""
    try:
        return action()
    except (ValidationError, DomainError) as error:
        apply_error(form, error)
        return None


def run_action(request: HttpRequest, action: Callable[[], Any], success: str) -> Any:
    """Run a service from a button; a domain error becomes an error message, never a 500."""
    try:
        result = action()
    except DomainError as error:
        messages.error(request, error.detail)
        return None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return None
    if success:
        messages.success(request, success)
    return result
