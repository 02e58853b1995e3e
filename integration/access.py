"""Page access by area: a view decorated with area_required("hr") is for HR's roles only."""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from integration.roles import AREA_KEYS, user_areas


def area_required(area: str) -> Callable:
    if area not in AREA_KEYS:
        raise ValueError(f"Unknown area {area!r}")

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if area not in user_areas(request.user):
                raise PermissionDenied(f"Your roles do not include the {area} area.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
