"""One error body for the whole API: `{"code", "detail", ...}`.

Validation errors (400) also carry each field's messages at the top level, as
`{"code": "invalid", "detail": "...", "<field>": ["message", ...]}`; business-rule
conflicts (409) carry their domain error's code and extra data.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from integration.errors import DomainError, InvalidInput

RESERVED_KEYS = {"code", "detail"}


def _field_errors(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        errors = {}
        for key, value in detail.items():
            name = "non_field_errors" if key == "__all__" else key
            if name in RESERVED_KEYS:
                name = f"{name}_field"
            errors[name] = value if isinstance(value, list | dict) else [value]
        return errors
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def _first_message(errors: dict[str, Any]) -> str:
    for value in errors.values():
        while isinstance(value, list | dict) and value:
            value = next(iter(value.values())) if isinstance(value, dict) else value[0]
        if value:
            return str(value)
    return "Invalid input."


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, InvalidInput):
        errors = {exc.field: [exc.detail]} if exc.field else {"non_field_errors": [exc.detail]}
        return Response(
            {"code": exc.code, "detail": exc.detail, **errors, **exc.extra},
            status=exc.status_code,
        )
    elif isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "detail": exc.detail, **exc.extra}, status=exc.status_code
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        response.data = {"code": "invalid", "detail": _first_message(errors), **errors}
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        body: dict[str, Any] = {"code": code, "detail": str(exc.detail)}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after"] = int(exc.wait)
        response.data = body
    return response
