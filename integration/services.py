"""Integration services: every write to integration's own state goes through here."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from integration.errors import InvalidInput
from integration.models import ApiToken
from integration.roles import API_APPS

TOKEN_PREFIX = "tdm_"  # noqa: S105 - a public marker, not a secret
# How stale last_used_at may get: a token used every second costs one write a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    # The secret has 256 bits of entropy, so a plain SHA-256 is a safe, fast lookup hash.
    return hashlib.sha256(raw.encode()).hexdigest()


def validate_scopes(scopes: list[str]) -> list[str]:
    if not scopes:
        raise InvalidInput("Give at least one scope.", field="scopes")
    valid = {"*"} | {f"{app}:{mode}" for app in API_APPS for mode in ("read", "write")}
    unknown = sorted(set(scopes) - valid)
    if unknown:
        raise InvalidInput(
            f"Unknown scope(s): {', '.join(unknown)}. Use <app>:read, <app>:write or * "
            f"with app one of {', '.join(API_APPS)}.",
            field="scopes",
        )
    return sorted(set(scopes))


@transaction.atomic
def api_token_create(
    *,
    user: AbstractBaseUser,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the raw secret, which is never stored or shown again."""
    if not name.strip():
        raise InvalidInput("Give the token a name.", field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("The expiry must be in the future.", field="expires_at")
    scopes = validate_scopes(scopes)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        prefix=raw[: len(TOKEN_PREFIX) + 8],
        token_hash=hash_token(raw),
        scopes=scopes,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Record use, at most once per LAST_USED_RESOLUTION (no lock: last writer wins)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
