"""What every inventory page shares: permission checks and running a service from a button."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse

from integration.errors import DomainError
from integration.pages import page_permission


def inventory_permission(*codenames: str) -> Callable:
    """Area "inventory" plus the given inventory model permissions."""
    return page_permission("inventory", *(f"inventory.{codename}" for codename in codenames))


def can(request: HttpRequest, codename: str) -> bool:
    return request.user.has_perm(f"inventory.{codename}")


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


def crumb(**context: Any) -> dict[str, Any]:
    return {
        "breadcrumb_url": reverse("inventory:index"),
        "breadcrumb_label": "Inventory",
        **context,
    }
