"""CRM and marketing: accounts, contacts, leads, opportunities, activities, campaigns."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Left, Lower, Upper

from integration.models import TimeStampedModel


def default_currency() -> str:
    return settings.TANDEM_DEFAULT_CURRENCY


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Account(TimeStampedModel):
    """The customer: a company or a person."""

    class Kind(models.TextChoices):
        COMPANY = "company", "Company"
        PERSON = "person", "Person"

    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        ACTIVE = "active", "Active"
        CHURNED = "churned", "Churned"

    class Size(models.TextChoices):
        UNKNOWN = "", "Unknown"
        MICRO = "1-9", "1-9"
        SMALL = "10-49", "10-49"
        MEDIUM = "50-249", "50-249"
        LARGE = "250-999", "250-999"
        ENTERPRISE = "1000+", "1000+"

    name = models.CharField(max_length=200)
    # Lower-cased, punctuation and legal suffixes stripped: the duplicate guard's key.
    normalized_name = models.CharField(max_length=200, db_index=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROSPECT)
    industry = models.CharField(max_length=100, blank=True)
    size = models.CharField(max_length=10, choices=Size.choices, blank=True, default="")
    website = models.URLField(max_length=300, blank=True)
    # Host of the website (or of the e-mail of a person), lower-cased, without "www.".
    domain = models.CharField(max_length=255, blank=True, db_index=True, editable=False)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    billing_street = models.CharField(max_length=200, blank=True)
    billing_city = models.CharField(max_length=100, blank=True)
    billing_postal_code = models.CharField(max_length=20, blank=True)
    billing_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code")
    shipping_street = models.CharField(max_length=200, blank=True)
    shipping_city = models.CharField(max_length=100, blank=True)
    shipping_postal_code = models.CharField(max_length=20, blank=True)
    shipping_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code")
    tax_id = models.CharField(max_length=50, blank=True)
    currency = models.CharField(max_length=3, default=default_currency)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_accounts",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="accounts")
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="crm_account_name"),  # default order
            models.Index(fields=["status", "id"], name="crm_account_status"),
            models.Index(fields=["owner", "id"], name="crm_account_owner"),
            models.Index(fields=["updated_at", "id"], name="crm_account_updated"),
            # The list's filters: a rare value is found through these, not by walking.
            models.Index(Upper("industry"), name="crm_account_industry"),
            models.Index(fields=["billing_country"], name="crm_account_country"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="crm_account_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(TimeStampedModel):
    """A person at an account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    title = models.CharField(max_length=100, blank=True)
    marketing_consent = models.BooleanField(default=False)
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_source = models.CharField(max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_contacts",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="crm_contact_name"),
            # The contact list page's order, then its keyset's tiebreak; and its e-mail order.
            models.Index(fields=["last_name", "id"], name="crm_contact_last_name"),
            models.Index(fields=["email", "id"], name="crm_contact_email_order"),
            models.Index(Lower("email"), name="crm_contact_email"),
            models.Index(fields=["updated_at", "id"], name="crm_contact_updated"),
        ]
        constraints = [
            models.UniqueConstraint(
                "account",
                Lower("email"),
                condition=~models.Q(email=""),
                name="crm_contact_email_unique_per_account",
                violation_error_message="This account already has a contact with this e-mail.",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


# How many leading letters of a CONTACT word's key index crm_word_contact_name keeps.
CONTACT_BUCKET = 5


class AccountWord(models.Model):
    """A word an account is found by, with the account's name: a one-word search's matches
    in the list's order, read from an index (crm.selectors.AccountWords).

    PostgreSQL keeps these rows itself, in the same statement as the change (the triggers
    of crm/migrations/0012), whatever wrote it: a service, a bulk load, a merge, the admin.
    Each row is one of:
    - kind NAME: a run of ASCII letters in the account's name, upper-cased the way icontains
      compares, stored in lower case, three letters or more (`word` and `key` both). A
      term of ASCII letters is in the name if and only if it is in one of these.
    - kind CONTACT: the leading ASCII letters (`key`, three or more) of a contact's name
      word (a full-text lexeme), of their e-mail address and of its domain, under its first
      three letters (`word`). A term of ASCII letters starts one of those if and only if
      it starts one of these: one index range, `word` = the term's first three letters.
    Nothing else reads or writes them; SQLite (embedded mode) has the table but no rows.
    """

    class Kind(models.TextChoices):
        NAME = "n", "In the name"
        CONTACT = "c", "Starts a contact's name word, e-mail or domain"

    pk = models.CompositePrimaryKey("kind", "word", "key", "account_id")
    kind = models.CharField(max_length=1, choices=Kind.choices)
    word = models.CharField(max_length=200)
    key = models.CharField(max_length=200)
    account_id = models.BigIntegerField()  # no foreign key: the triggers delete these rows
    name = models.CharField(max_length=200)  # the account's, in its collation

    class Meta:
        indexes = [
            # A word's accounts in name order, and in id order; the key for CONTACT rows.
            models.Index(
                fields=["kind", "word", "name", "account_id"],
                include=["key"],
                name="crm_word_name",
            ),
            models.Index(
                fields=["kind", "word", "account_id"], include=["key"], name="crm_word_id"
            ),
            # An account's rows of a kind, for the triggers.
            models.Index(fields=["account_id", "kind"], name="crm_word_account"),
            # CONTACT rows by the key's first CONTACT_BUCKET letters, in name order: a term
            # of that many letters or more reads its own range, not every row under its
            # first three letters ("karhu" passed 43,000 "kar…" names at 1M).
            models.Index(
                Left("key", CONTACT_BUCKET),
                F("name"),
                F("account_id"),
                condition=Q(kind="c"),
                name="crm_word_contact_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.key} ({self.name})"


class SearchWord(models.Model):
    """Every word AccountWord has held (a CONTACT row's key): a term's words are looked up
    here (thousands of rows, a trigram index) before their accounts are. Never pruned: a
    word no account holds any more finds no rows."""

    pk = models.CompositePrimaryKey("kind", "word")
    kind = models.CharField(max_length=1, choices=AccountWord.Kind.choices)
    word = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.word


class Pipeline(models.Model):
    """The stages an opportunity moves through; one pipeline is the default."""

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="crm_pipeline_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    class Outcome(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField()
    probability = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(100)], help_text="Percent"
    )
    outcome = models.CharField(max_length=4, choices=Outcome.choices, default=Outcome.OPEN)

    class Meta:
        ordering = ["pipeline", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="crm_stage_name_unique"),
            models.UniqueConstraint(
                fields=["pipeline", "position"], name="crm_stage_position_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="crm_stage_probability_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.probability} %)"


class Segment(TimeStampedModel):
    """A saved filter over accounts (and their contacts).

    `criteria` keys: industry, status, tag, country, owner, created_after, created_before.
    """

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    criteria = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Campaign(TimeStampedModel):
    """An e-mail to the consenting contacts of a segment, with per-member status."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"

    name = models.CharField(max_length=200)
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.PROTECT, related_name="campaigns"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True, help_text="Django template; {{ contact }}, {{ account }}")
    sent_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class CampaignMember(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        BOUNCED = "bounced", "Bounced"
        RESPONDED = "responded", "Responded"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="campaign_memberships"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "contact"], name="crm_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} in {self.campaign}"


class Opportunity(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="opportunities")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    name = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default=default_currency)
    expected_close_date = models.DateField(null=True, blank=True)
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="opportunities")
    # Follows the stage's outcome; kept here so lists and sums need no join.
    status = models.CharField(max_length=4, choices=Status.choices, default=Status.OPEN)
    probability = models.PositiveSmallIntegerField(default=0, editable=False)
    lost_reason = models.CharField(max_length=200, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    source_campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_opportunities",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["account", "status"], name="crm_opportunity_account"),
            models.Index(fields=["stage", "id"], name="crm_opportunity_stage"),
            models.Index(fields=["updated_at", "id"], name="crm_opportunity_updated"),
            # The list page's default order (newest first) and its name order.
            models.Index(fields=["created_at", "id"], name="crm_opportunity_created"),
            models.Index(fields=["name", "id"], name="crm_opportunity_name"),
            # The page's other sortable columns.
            models.Index(fields=["amount", "id"], name="crm_opportunity_amount"),
            # Latest first, undated last, has an index on PostgreSQL only (crm/migrations/0011).
            models.Index(fields=["expected_close_date", "id"], name="crm_opportunity_close"),
            models.Index(fields=["status", "id"], name="crm_opportunity_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="crm_opportunity_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Lead(TimeStampedModel):
    """Unqualified interest; converting it makes an account, a contact and maybe an
    opportunity, which it then links to."""

    class Source(models.TextChoices):
        WEB = "web", "Web form"
        REFERRAL = "referral", "Referral"
        EVENT = "event", "Event"
        CAMPAIGN = "campaign", "Campaign"
        COLD = "cold", "Cold outreach"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        QUALIFIED = "qualified", "Qualified"
        DISQUALIFIED = "disqualified", "Disqualified"
        CONVERTED = "converted", "Converted"

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    company = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    title = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.OTHER)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    score = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    message = models.TextField(blank=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_leads",
    )
    converted_at = models.DateTimeField(null=True, blank=True)
    converted_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    converted_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    converted_opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "id"], name="crm_lead_status"),
            models.Index(Lower("email"), name="crm_lead_email"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__lte=100), name="crm_lead_score_max"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() + (
            f" ({self.company})" if self.company else ""
        )


class Activity(TimeStampedModel):
    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "E-mail"
        MEETING = "meeting", "Meeting"
        TASK = "task", "Task"
        NOTE = "note", "Note"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TASK)
    subject = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    opportunity = models.ForeignKey(
        Opportunity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    due_at = models.DateTimeField(null=True, blank=True)
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_activities",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["owner", "done", "due_at"], name="crm_activity_owner_open"),
            models.Index(fields=["account", "-created_at"], name="crm_activity_account"),
            # The list page's default order, newest first; by due date, undated last.
            models.Index(fields=["created_at", "id"], name="crm_activity_created"),
            # Latest first, undated last, has an index on PostgreSQL only (crm/migrations/0011).
            models.Index(fields=["due_at", "id"], name="crm_activity_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"


class WebLeadForm(TimeStampedModel):
    """A public form a company's website posts leads to: /api/v1/crm/web-leads/<key>/."""

    name = models.CharField(max_length=100)
    key = models.CharField(max_length=40, unique=True, default=new_form_key, editable=False)
    allowed_origins = models.JSONField(
        default=list, blank=True, help_text='e.g. ["https://www.example.com"]; empty: any'
    )
    active = models.BooleanField(default=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Owner of the leads it creates",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
