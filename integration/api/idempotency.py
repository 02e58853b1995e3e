"""Idempotent POSTs: the `Idempotency-Key` header on every POST under /api/v1/.

The same key with the same body gets the stored answer (same status and JSON body, plus
`Idempotent-Replayed: true`) without the work being done again; the same key with another
body, method or path is 422 `idempotency_key_reused`; a key whose first request is still
running is 409 `idempotency_key_in_progress`. Keys live `TANDEM_IDEMPOTENCY_TTL_HOURS`
(default 24) and belong to one principal: the API token, else the signed-in user, else the
client's address.

Why a middleware and not a DRF base class or mixin: DRF has no hook that every view passes
through unless it opts in by inheriting, and a view that forgot to would silently lose the
guarantee. A middleware sees every POST under /api/v1/ (viewsets, `@action` endpoints,
plain APIViews, views added later) before any work starts. The cost is that DRF has not
authenticated yet, so the principal is resolved here the way DRF will resolve it: a Bearer
token through the authentication's own `token_by_secret` and usability rules (without
touching `last_used_at`: the view does that), else the session user if the CSRF check DRF
makes passes, else the client address as DRF's throttles compute it. A request whose
credentials do not resolve is passed on untouched, and the view answers 401 or 403 as
usual.

How concurrency is handled: the key's row is inserted, as in progress, in its own committed
transaction before the view runs; the unique constraint on (principal, key) lets exactly one
of two simultaneous requests in. The answer is then stored (2xx, 4xx) or the row deleted
so the client can retry (5xx, and 401/429: the endpoint never ran).
"""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, get_authorization_header
from rest_framework.throttling import BaseThrottle

from integration.api.authentication import BearerTokenAuthentication, token_by_secret
from integration.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
API_PREFIX = "/api/v1/"
MAX_KEY_LENGTH = 255
# Answers that say the endpoint never ran: storing them would pin a transient refusal.
_NOT_STORED = {401, 429}
# Response headers worth replaying besides the body (a 201's Location).
_REPLAYED_HEADERS = ("Location",)
_CLAIM_ATTEMPTS = 3


# An in-progress key older than this belongs to a request that died: far longer than any
# request may run (gunicorn's timeout is 30 s), so a live request is never run twice.
ABANDONED_AFTER = timedelta(minutes=5)


def key_ttl() -> timedelta:
    return timedelta(hours=settings.TANDEM_IDEMPOTENCY_TTL_HOURS)


def request_principal(request: HttpRequest) -> str | None:
    """Who the request will be authenticated as by DRF, or None if its credentials fail."""
    header = get_authorization_header(request).split()
    if header and header[0].lower() == BearerTokenAuthentication.keyword.lower().encode():
        if len(header) != 2:
            return None
        try:
            token = token_by_secret(header[1].decode())
        except UnicodeError:
            return None
        if token is None:
            return None
        try:
            BearerTokenAuthentication._check_usable(token)
        except exceptions.AuthenticationFailed:
            return None
        return f"token:{token.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        try:
            SessionAuthentication().enforce_csrf(request)
        except exceptions.PermissionDenied:
            return None
        return f"user:{user.pk}"
    return f"anon:{BaseThrottle().get_ident(request)}"[:100]


def _claim(
    *, principal: str, key: str, method: str, path: str, request_hash: str
) -> tuple[IdempotencyKey, bool]:
    """The key's row: (new row, True) if this request does the work, else (existing, False)."""
    for _ in range(_CLAIM_ATTEMPTS):
        now = timezone.now()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    principal=principal,
                    key=key,
                    method=method,
                    path=path,
                    request_hash=request_hash,
                    created_at=now,
                    expires_at=now + key_ttl(),
                )
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(principal=principal, key=key).first()
            if existing is None:  # released by its failed request meanwhile: try again
                continue
            if existing.expires_at <= now:  # expired: the key is new again
                IdempotencyKey.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
                continue
            abandoned = now - ABANDONED_AFTER
            if (
                existing.status == IdempotencyKey.Status.IN_PROGRESS
                and existing.created_at <= abandoned
            ):
                # Its request died (a killed worker) long past any request timeout: free the
                # key rather than answer 409 until it expires.
                IdempotencyKey.objects.filter(
                    pk=existing.pk,
                    status=IdempotencyKey.Status.IN_PROGRESS,
                    created_at__lte=abandoned,
                ).delete()
                continue
            return existing, False
        else:
            return record, True
    # Still contended after several rounds (created and released again and again): answer as
    # for a key in progress.
    contended = IdempotencyKey(
        principal=principal, key=key, method=method, path=path, request_hash=request_hash
    )
    return contended, False


def _stored_body(response: HttpResponse) -> tuple[bool, object]:
    """(storable, body): only JSON and empty answers can be replayed faithfully."""
    if response.streaming:
        return False, None
    if not response.content:
        return True, None
    if not response.get("Content-Type", "").startswith("application/json"):
        return False, None
    try:
        return True, json.loads(response.content)
    except ValueError:
        return False, None


def _finish(record: IdempotencyKey, response: HttpResponse) -> None:
    """Store the answer for replays, or release the key so that the client may retry."""
    storable, body = _stored_body(response)
    if response.status_code >= 500 or response.status_code in _NOT_STORED or not storable:
        IdempotencyKey.objects.filter(pk=record.pk).delete()
        return
    IdempotencyKey.objects.filter(pk=record.pk).update(
        status=IdempotencyKey.Status.DONE,
        response_status=response.status_code,
        response_body=body,
        response_headers={
            name: response[name] for name in _REPLAYED_HEADERS if response.has_header(name)
        },
    )


def _replay(record: IdempotencyKey) -> HttpResponse:
    content = b""
    if record.response_body is not None:
        # The compact form DRF's JSONRenderer writes.
        content = json.dumps(
            record.response_body, ensure_ascii=False, separators=(",", ":")
        ).encode()
    response = HttpResponse(content, status=record.response_status, content_type="application/json")
    for name, value in record.response_headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _error(status: int, code: str, detail: str, **extra: object) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail, **extra}, status=status)


def _answer_existing(
    record: IdempotencyKey, *, method: str, path: str, request_hash: str
) -> HttpResponse:
    if (record.method, record.path, record.request_hash) != (method, path, request_hash):
        return _error(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was used for a different request (another body, method or "
            "path). Use a new key for a new request.",
        )
    if record.status == IdempotencyKey.Status.IN_PROGRESS:
        response = _error(
            409,
            "idempotency_key_in_progress",
            f"A request with this {HEADER} is still being processed; retry shortly.",
        )
        response["Retry-After"] = "1"
        return response
    return _replay(record)


class IdempotencyMiddleware:
    """Makes every POST under /api/v1/ that carries an `Idempotency-Key` idempotent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            message = f"Give a non-blank key of at most {MAX_KEY_LENGTH} characters."
            return _error(400, "invalid", message, **{HEADER: [message]})
        # Read before the CSRF check, which may parse a form from the body: the view then
        # reads the cached copy.
        request_hash = hashlib.sha256(request.body).hexdigest()
        principal = request_principal(request)
        if principal is None:
            return self.get_response(request)

        method, path = request.method, request.path
        record, claimed = _claim(
            principal=principal, key=key, method=method, path=path, request_hash=request_hash
        )
        if not claimed:
            return _answer_existing(record, method=method, path=path, request_hash=request_hash)
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyKey.objects.filter(pk=record.pk).delete()
            raise
        _finish(record, response)
        return response


def purge_expired_keys() -> int:
    """Delete keys past their expiry (already ignored by the middleware); returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
