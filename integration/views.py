"""Pages of the shell: the dashboard, the health check, and each area's placeholder page."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from integration.access import area_required
from integration.pages import dashboard_panels
from integration.roles import AREAS, user_areas


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    areas = user_areas(request.user)
    cards = [area for area in AREAS if area.key in areas]
    panels = []
    for panel in dashboard_panels():
        if panel.area and panel.area not in areas:
            continue
        context = panel.context(request)
        if context is not None:
            panels.append({"template": panel.template_name, "context": context})
    return render(request, "integration/dashboard.html", {"cards": cards, "panels": panels})


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database readiness, for load balancers and docker compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not ready"
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


def area_placeholder(area_key: str):
    """A page for an area whose issue has not landed yet: says what will be here."""
    area = next(a for a in AREAS if a.key == area_key)

    @area_required(area_key)
    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "integration/area_placeholder.html", {"area": area})

    view.__name__ = f"{area_key}_index"
    return view


def _api_error(request: HttpRequest, code: str, detail: str, status: int) -> JsonResponse | None:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "detail": detail}, status=status)
    return None


@login_not_required
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _api_error(request, "bad_request", "Bad request.", 400) or defaults.bad_request(
        request, exception
    )


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _api_error(
        request, "permission_denied", "You do not have permission.", 403
    ) or defaults.permission_denied(request, exception)


@login_not_required
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _api_error(request, "not_found", "Not found.", 404) or defaults.page_not_found(
        request, exception
    )


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    return _api_error(
        request, "server_error", "Internal error; it has been logged.", 500
    ) or defaults.server_error(request)
