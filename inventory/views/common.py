"""What every inventory page shares: permission checks and the breadcrumb. Running a service
from a button is integration.page_forms's, shared by all apps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from integration.pages import page_permission


def inventory_permission(*codenames: str) -> Callable:
    """Area "inventory" plus the given inventory model permissions."""
    return page_permission("inventory", *(f"inventory.{codename}" for codename in codenames))


def can(request: HttpRequest, codename: str) -> bool:
    return request.user.has_perm(f"inventory.{codename}")


def crumb(**context: Any) -> dict[str, Any]:
    return {
        "breadcrumb_url": reverse("inventory:index"),
        "breadcrumb_label": "Inventory",
        **context,
    }
