"""Middleware of the page shell: request ids, login required, two-factor for chosen roles."""

import logging
import re
import time
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from integration.logging import request_id_var
from integration.roles import user_roles

logger = logging.getLogger("tandem.request")

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Tags each request with an id (the caller's X-Request-ID if sane) and logs it once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Not reset on the way out: Django logs errors (e.g. "Forbidden") after the
        # middleware returns, and those lines should carry the id too.
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": getattr(getattr(request, "user", None), "pk", None),
            },
        )
        return response


# Paths that manage their own authentication: the API answers 401 itself, static files
# and the health check are public.
_OPEN_PREFIXES = ("/api/", "/static/", "/healthz")


class PageLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Every page needs a logged-in user, except allauth's login and reset pages."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(_OPEN_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


# What a user who must enable two-factor may still reach: allauth's pages (including
# the MFA set-up and logout) and static files.
_MFA_SETUP_PREFIXES = ("/accounts/", "/static/", "/healthz")


def mfa_required_for(user) -> bool:
    required = set(settings.TANDEM_MFA_REQUIRED_ROLES)
    if not required or not user.is_authenticated:
        return False
    if user.is_superuser and "Admin" in required:
        return True
    return bool(required & user_roles(user))


def has_two_factor(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class TwoFactorRequiredMiddleware:
    """Members of the roles in TANDEM_MFA_REQUIRED_ROLES must enable TOTP before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_MFA_SETUP_PREFIXES)
            and mfa_required_for(user)
            and not has_two_factor(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "mfa_required",
                        "detail": "Enable two-factor authentication before using the API "
                        "with this session.",
                    },
                    status=403,
                )
            messages.warning(
                request, "Your role requires two-factor authentication: set it up to continue."
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


class ActorMiddleware:
    """Events published while serving a request record its user (an API token overrides)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from integration.events import acting_as

        # Scoped to the request: the thread must not carry this actor into later work.
        with acting_as(request.user):
            return self.get_response(request)
