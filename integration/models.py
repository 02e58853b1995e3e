"""Integration models: shared base classes and API tokens."""

import uuid
from decimal import Decimal

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


class Event(models.Model):
    """One domain event: the outbox and the permanent event log at once.

    `seq` orders events by insertion; `txid` (the inserting PostgreSQL transaction) lets
    the feed hand out events in commit order without gaps (see selectors.event_feed).
    """

    class ActorType(models.TextChoices):
        USER = "user", "User"
        TOKEN = "token", "API token"
        SYSTEM = "system", "System"

    seq = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=100)
    version = models.PositiveSmallIntegerField(default=1)
    occurred_at = models.DateTimeField(default=timezone.now)
    txid = models.BigIntegerField(null=True, blank=True, editable=False)
    actor_type = models.CharField(
        max_length=10, choices=ActorType.choices, default=ActorType.SYSTEM
    )
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True)
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField(max_length=64)
    subject_version = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["txid", "seq"], name="event_commit_order"),
            # The feed's filters, each in the feed's (commit) order.
            models.Index(fields=["customer_id", "txid", "seq"], name="event_customer"),
            models.Index(
                fields=["subject_type", "subject_id", "txid", "seq"], name="event_subject"
            ),
            models.Index(fields=["type", "txid", "seq"], name="event_type"),
            models.Index(fields=["occurred_at"], name="event_occurred"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject_type}:{self.subject_id} ({self.uuid})"


class Delivery(models.Model):
    """One (event, subscriber) pair: applied exactly once, retried, or dead."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        DEAD = "dead", "Dead"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Runs that raised an error.")
    lost = models.PositiveIntegerField(
        default=0, help_text="Runs whose worker died before finishing (poison guard)."
    )
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="delivery_ready",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["subscriber", "status"], name="delivery_subscriber"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} ← {self.event_id} [{self.status}]"


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` of an API POST and the answer it got, replayed until it expires.

    The row is written (as in progress) before the work starts, so the unique constraint lets
    exactly one of two concurrent requests with the same key do the work.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    principal = models.CharField(
        max_length=100, help_text="Who sent it: token:<id>, user:<id> or anon:<address>."
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.TextField()
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="idempotency_key_once"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_key_expiry")]

    def __str__(self) -> str:
        return f"{self.principal} {self.method} {self.path} [{self.key}]"


# ---------------------------------------------------------------- webhooks


class WebhookSubscription(TimeStampedModel):
    """An integrator's URL that receives the events matching its patterns, signed.

    The secret is stored as is: every delivery is signed with it (HMAC), so it cannot be
    hashed. The API and admin show it once, when it is created or regenerated.
    """

    url = models.URLField(max_length=2000, help_text="http(s) URL that receives the POSTs.")
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(
        default=list, help_text="Event types or patterns, e.g. `crm.account.*` or `*`."
    )
    secret = models.CharField(max_length=200, editable=False)
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text="Failed attempts since the last success."
    )
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_failure_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The bus subscriber reads the active subscriptions for every event.
            models.Index(fields=["id"], name="webhook_active", condition=models.Q(active=True)),
        ]

    def __str__(self) -> str:
        return self.description or self.url

    @property
    def status(self) -> str:
        if not self.active:
            return "disabled"
        return "failing" if self.consecutive_failures else "active"


class WebhookDelivery(models.Model):
    """One event for one subscription: sent until acknowledged, retried with backoff."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="webhook_deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="webhook_delivery_ready",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscription_id} [{self.status}]"


class WebhookAttempt(models.Model):
    """One HTTP POST of a delivery and what came of it."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    url = models.URLField(max_length=2000)
    started_at = models.DateTimeField()
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    response_snippet = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        outcome = self.status_code or self.error[:40] or "no answer"
        return f"attempt {self.number} of {self.delivery_id}: {outcome}"


# ---------------------------------------------------------------- 360° customer view
# A read model built only from events (integration/customer_view/). No foreign key to
# any domain app: rows are keyed by the natural ids the events carry.


class CustomerViewQuerySet(models.QuerySet):
    def live(self) -> "CustomerViewQuerySet":
        """Customers that exist: without the tombstones of deleted and merged accounts."""
        return self.filter(deleted=False)


class CustomerView(models.Model):
    """One customer (CRM account) and its figures, as far as the applied events tell.

    `deleted` rows are tombstones of deleted or merged accounts: a late event about them
    must not bring them back. Readers use `CustomerView.live`.
    """

    account_id = models.BigIntegerField(primary_key=True)
    # Profile (crm.account.*), applied when its subject version is newer.
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=20, blank=True)
    owner_id = models.BigIntegerField(null=True, blank=True)
    owner_name = models.CharField(max_length=200, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    tags = models.JSONField(default=list, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    profile_version = models.BigIntegerField(default=0)
    # CRM figures, recomputed from the entity projections below.
    contacts_count = models.PositiveIntegerField(default=0)
    open_opportunities_count = models.PositiveIntegerField(default=0)
    # Money figures are in the customer's `currency`; each `…_by_currency` holds every
    # currency's sum as {"EUR": "1200.00"} (integration.customer_view.money).
    open_opportunities_value = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    open_opportunities_by_currency = models.JSONField(default=dict, blank=True)
    won_value = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    won_by_currency = models.JSONField(default=dict, blank=True)
    last_interaction_at = models.DateTimeField(null=True, blank=True)
    # Filled by sales, finance and support when they land; present and zero until then.
    orders_count = models.PositiveIntegerField(default=0)
    orders_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    orders_total_by_currency = models.JSONField(default=dict, blank=True)
    open_orders_count = models.PositiveIntegerField(default=0)
    last_order_at = models.DateTimeField(null=True, blank=True)
    # Up to 5 products by quantity over the counted orders (see sales_appliers), as
    # [{"product_id", "sku", "name", "quantity", "total"}] with decimal strings.
    top_products = models.JSONField(default=list, blank=True)
    invoiced_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    paid_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    outstanding_total = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    overdue_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    open_tickets_count = models.PositiveIntegerField(default=0)
    last_ticket_at = models.DateTimeField(null=True, blank=True)
    # Freshness: the newest occurred_at among the events applied for this customer.
    last_event_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False)
    merged_into_id = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = CustomerViewQuerySet.as_manager()

    class Meta:
        ordering = ["account_id"]
        verbose_name = "customer view"
        indexes = [models.Index(fields=["name"], name="customer_view_name")]

    def __str__(self) -> str:
        return self.name or f"customer {self.account_id}"


class CustomerEntity(models.Model):
    """What every entity projection has: its account, its subject version, a tombstone."""

    account_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    version = models.BigIntegerField(default=0)
    deleted = models.BooleanField(default=False)

    class Meta:
        abstract = True


class CustomerContact(CustomerEntity):
    contact_id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=201, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    title = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["name", "contact_id"]

    def __str__(self) -> str:
        return self.name


class CustomerOpportunity(CustomerEntity):
    opportunity_id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, blank=True)
    stage = models.CharField(max_length=100, blank=True)
    probability = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, blank=True)
    expected_close_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-opportunity_id"]
        verbose_name_plural = "customer opportunities"

    def __str__(self) -> str:
        return self.name


class CustomerActivity(CustomerEntity):
    activity_id = models.BigIntegerField(primary_key=True)
    kind = models.CharField(max_length=10, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    # When it was logged: the occurred_at of its crm.activity.logged event.
    logged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-activity_id"]
        verbose_name_plural = "customer activities"

    def __str__(self) -> str:
        return self.subject


class CustomerOrder(CustomerEntity):
    """A sales order as its sales.order.* events tell it (lines as in the event data)."""

    order_id = models.BigIntegerField(primary_key=True)
    number = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=20, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    tax_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    confirmed_at = models.DateTimeField(null=True, blank=True)
    lines = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-order_id"]

    def __str__(self) -> str:
        return self.number or f"order {self.order_id}"


class CustomerQuote(CustomerEntity):
    """A sales quote as its sales.quote.* events tell it."""

    quote_id = models.BigIntegerField(primary_key=True)
    number = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=20, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    valid_until = models.DateField(null=True, blank=True)
    order_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-quote_id"]

    def __str__(self) -> str:
        return self.number or f"quote {self.quote_id}"


class CustomerContract(CustomerEntity):
    """A contract as its sales.contract.* events tell it."""

    contract_id = models.BigIntegerField(primary_key=True)
    number = models.CharField(max_length=50, blank=True)
    title = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    value = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, blank=True)
    auto_renew = models.BooleanField(default=False)

    class Meta:
        ordering = ["-contract_id"]

    def __str__(self) -> str:
        return self.title or self.number or f"contract {self.contract_id}"
