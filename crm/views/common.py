"""What every CRM page shares: permission checks. Form pages and domain errors shown on pages
are integration.page_forms's, shared by all apps."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from integration.pages import page_permission


def crm_permission(*codenames: str) -> Callable:
    """Area "crm" plus the given crm model permissions, e.g. crm_permission("change_account")."""
    return page_permission("crm", *(f"crm.{codename}" for codename in codenames))


def can(request: HttpRequest, codename: str) -> bool:
    return request.user.has_perm(f"crm.{codename}")
