"""Integration selectors: reads shared by pages, API and commands."""

import hmac

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


def api_token_list() -> QuerySet[ApiToken]:
    """Tokens with their users (callers check `integration.view_apitoken`)."""
    return ApiToken.objects.select_related("user")
