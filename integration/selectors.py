"""Integration selectors: reads shared by pages, API and commands."""

import hmac

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from integration.models import ApiToken
from integration.services import TOKEN_PREFIX, hash_token


def api_token_by_secret(raw: str) -> ApiToken | None:
    """The token a raw secret belongs to (in any state), or None. Constant-time compare."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix = raw[: len(TOKEN_PREFIX) + 8]
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.token_hash, hash_token(raw)):
        return None
    return token


def api_token_list(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """Tokens the user may see: all for those who may view tokens in admin, else their own."""
    qs = ApiToken.objects.select_related("user")
    if user.has_perm("integration.view_apitoken"):
        return qs
    return qs.filter(user=user)
