"""The sales dashboard (/sales/): orders this month, the revenue trend, top customers and
products, for the Sales and Manager roles (whoever may view sales orders)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sales import selectors
from sales.views.common import can, sales_permission


@sales_permission("view_salesorder")
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    figures = selectors.sales_dashboard_figures(months=12)
    trend = figures["trend"]
    chart = {
        "type": "bar",
        "labels": [row["month"].strftime("%Y-%m") for row in trend],
        "datasets": [
            {"label": "Revenue", "data": [str(row["total"]) for row in trend], "color": "#1f4e79"}
        ],
    }
    return render(
        request,
        "sales/index.html",
        {
            **figures,
            "chart": chart,
            "can_add_quote": can(request, "add_quote"),
            "can_add_order": can(request, "add_salesorder"),
        },
    )
