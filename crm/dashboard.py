"""CRM's panel on the dashboard: the user's open tasks (found by integration's autodiscovery)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from crm import selectors
from integration.pages import register_dashboard_panel


def open_tasks_panel(request: HttpRequest) -> dict[str, Any] | None:
    if not request.user.has_perm("crm.view_activity"):
        return None
    return {
        "tasks": selectors.my_open_tasks(user=request.user, limit=10),
        "can_complete": request.user.has_perm("crm.change_activity"),
    }


register_dashboard_panel("crm/_dashboard_tasks.html", open_tasks_panel, area="crm", order=10)
