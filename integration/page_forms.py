"""What every app's pages share around forms and buttons: rendering a form page, and a
service's ValidationError or DomainError shown on the form or as a message, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from integration.errors import DomainError


def apply_error(form: forms.BaseForm, error: Exception) -> None:
    """Show a service's ValidationError or DomainError on the form, next to its field when it
    names one of the form's fields, else above the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            target = field if field in form.fields and field != NON_FIELD_ERRORS else None
            form.add_error(target, field_messages)
    elif isinstance(error, ValidationError):
        form.add_error(None, error.messages)
    elif isinstance(error, DomainError):
        field = getattr(error, "field", None)
        form.add_error(field if field in form.fields else None, error.detail)
    else:
        raise error


def save_with(form: forms.BaseForm, action: Callable[[], Any]) -> Any:
    """Run a service for a valid form; its ValidationError or DomainError lands on the form."""
    try:
        return action()
    except (ValidationError, DomainError) as error:
        apply_error(form, error)
        return None


def error_message(error: DomainError | ValidationError) -> str:
    """A service's DomainError or ValidationError as one line to show on a page."""
    if isinstance(error, DomainError):
        return error.detail
    return " ".join(error.messages)


def run_action(request: HttpRequest, action: Callable[[], Any], success: str) -> Any:
    """Run a service from a button; a domain error becomes an error message, never a 500."""
    try:
        result = action()
    except (DomainError, ValidationError) as error:
        messages.error(request, error_message(error))
        return None
    if success:
        messages.success(request, success)
    return result


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
    """A page holding one form (templates/components/form_page.html)."""
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
