"""Inventory's dashboard panel: what is running low (found by integration's autodiscovery)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from integration.pages import register_dashboard_panel
from inventory import selectors


def low_stock_panel(request: HttpRequest) -> dict[str, Any] | None:
    if not request.user.has_perm("inventory.view_reorderrule"):
        return None
    low = selectors.low_stock_list().order_by("available", "pk")
    return {
        "rows": list(low[:8]),
        "count": low.count(),
        "open_orders": selectors.purchase_order_list()
        .filter(status__in=("sent", "partially_received"))
        .count(),
    }


register_dashboard_panel(
    "inventory/_dashboard_low_stock.html", low_stock_panel, area="inventory", order=40
)
