"""What every sales page shares: permission checks and the breadcrumb. Form pages and domain
errors shown on pages are integration.page_forms's, shared by all apps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from integration.pages import page_permission


def sales_permission(*codenames: str) -> Callable:
    """Area "sales" plus the given sales model permissions, e.g. ("change_quote",)."""
    return page_permission("sales", *(f"sales.{codename}" for codename in codenames))


def can(request: HttpRequest, codename: str) -> bool:
    return request.user.has_perm(f"sales.{codename}")


def crumb(**context: Any) -> dict[str, Any]:
    return {"breadcrumb_url": reverse("sales:index"), "breadcrumb_label": "Sales", **context}
