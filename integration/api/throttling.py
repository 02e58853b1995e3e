"""Fair-use throttling per token, per user and per anonymous client address."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from integration.models import ApiToken


class _SettingsRate:
    """Read the rate when it is needed, so a changed setting takes effect without a restart."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class PrincipalRateThrottle(_SettingsRate, SimpleRateThrottle):
    """One budget per API token, and one per user for browser sessions."""

    scope = "principal"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(_SettingsRate, SimpleRateThrottle):
    scope = "anonymous"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
