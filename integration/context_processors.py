"""Template context for the page shell: navigation by role, version, company name."""

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from integration.roles import AREAS, user_areas


def shell(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    areas = user_areas(user) if user is not None else frozenset()
    path = request.path
    nav = []
    for area in AREAS:
        if area.key in areas:
            url = reverse(area.url_name)
            nav.append(
                {
                    "key": area.key,
                    "label": area.label,
                    "url": url,
                    "description": area.description,
                    "active": path.startswith(url),
                }
            )
    return {
        "nav_areas": nav,
        "tandem_version": settings.TANDEM_VERSION,
        "company_name": settings.TANDEM_COMPANY_NAME,
    }
