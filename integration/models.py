"""Integration models: shared base classes and API tokens."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> "ApiTokenQuerySet":
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(TimeStampedModel):
    """A bearer token for integrators. Only a SHA-256 hash of the secret is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'ERP sync'.")
    prefix = models.CharField(
        max_length=16, unique=True, editable=False, help_text="The visible start of the token."
    )
    token_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(
        default=list, help_text="`<app>:read`, `<app>:write` or `*` (everything the user may do)."
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def status(self) -> str:
        if self.is_revoked:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "active"

    def allows(self, app_label: str, *, write: bool) -> bool:
        """Whether the scopes cover reading (or writing) an app's API. Write implies read."""
        scopes = set(self.scopes)
        if "*" in scopes or f"{app_label}:write" in scopes:
            return True
        return not write and f"{app_label}:read" in scopes
