"""Rate limit of the public web-to-lead endpoint: per client address, across forms."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

DEFAULT_RATE = "10/min"


class WebLeadRateThrottle(SimpleRateThrottle):
    """`web_leads` in DEFAULT_THROTTLE_RATES (default 10/min) per client address.

    The address is DRF's: REMOTE_ADDR, or the X-Forwarded-For entry that the
    TANDEM_TRUSTED_PROXIES (NUM_PROXIES) proxies in front of us vouch for.
    """

    scope = "web_leads"

    def get_rate(self):
        # Read when needed, so a changed setting takes effect without a restart.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or DEFAULT_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
