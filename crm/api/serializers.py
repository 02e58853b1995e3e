"""Serializers of the CRM API: output shapes, and input shapes that only validate.

Input serializers never save: views hand their validated data to crm.services. Money is a
decimal string ("1200.00"); related objects are ids. An input serializer is named in the
schema after its resource (`AccountRequest`, `PatchedAccountRequest` beside `Account`), as
spectacular names a serializer used both ways.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from crm.models import (
    Account,
    Activity,
    Campaign,
    Contact,
    Lead,
    Opportunity,
    Segment,
    Stage,
    Tag,
)
from integration.api import fields

User = get_user_model()

TIMESTAMPS = ["version", "created_at", "updated_at"]


class OutputSerializer(fields.OutputSerializer):
    """An answer's shape. E-mail and URL fields are plain strings, since "" (not given) is
    neither a valid e-mail nor a URI to a schema validator; times are in UTC."""


class ListRows:
    """An output serializer's representation of `.values()` rows: the cheap read of a list page.

    DRF builds every field of every instance through get_attribute and to_representation,
    about 0.4 ms an account row; a list page reads the columns as dicts instead and converts
    only the values whose representation is not the column's value (times, decimals).
    Fields named in `computed` (tags, say) come from the caller, per row id.
    tests/crm/test_api.py checks that the answer equals the serializer's.
    """

    # A column of these types is its own representation (for a value that is not None).
    VERBATIM = (
        serializers.CharField,
        serializers.ChoiceField,
        serializers.IntegerField,
        serializers.BooleanField,
    )

    def __init__(self, serializer_class: type[serializers.Serializer], *, computed=()) -> None:
        # (field name, column or None if computed, converter or None), in the field order.
        self.plan: list[tuple[str, str | None, Callable[[Any], Any] | None]] = []
        for name, field in serializer_class().fields.items():
            if name in computed:
                self.plan.append((name, None, None))
                continue
            if "." in field.source or field.source == "*":
                raise ValueError(f"{name}: only plain columns can be listed from values()")
            if isinstance(field, serializers.PrimaryKeyRelatedField):
                self.plan.append((name, f"{field.source}_id", None))
            elif isinstance(field, self.VERBATIM):
                self.plan.append((name, field.source, None))
            else:
                self.plan.append((name, field.source, field.to_representation))
        self.columns = [column for _name, column, _convert in self.plan if column]

    def __call__(
        self, rows: Iterable[dict[str, Any]], **computed: dict[Any, Any]
    ) -> list[dict[str, Any]]:
        """`rows` (dicts with self.columns) as the serializer's dicts; each computed field
        is given as {row id: value}, a missing id meaning an empty list."""
        result = []
        for row in rows:
            item = {}
            for name, column, convert in self.plan:
                if column is None:
                    item[name] = computed[name].get(row["id"], [])
                    continue
                value = row[column]
                item[name] = value if value is None or convert is None else convert(value)
            result.append(item)
        return result


def _users():
    return User.objects.filter(is_active=True)


class _TagsField(serializers.ListField):
    """Tag names; an item's error is a flat message, as the error schema says."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "child", serializers.CharField(max_length=Tag._meta.get_field("name").max_length)
        )
        kwargs.setdefault("max_length", 50)
        kwargs.setdefault("help_text", "Tag names; unknown tags are created.")
        super().__init__(**kwargs)

    def run_child_validation(self, data):
        try:
            values = super().run_child_validation(data)
        except serializers.ValidationError as exc:
            items = exc.detail.items() if isinstance(exc.detail, dict) else []
            messages = [f"Item {index}: {error}" for index, errors in items for error in errors]
            raise serializers.ValidationError(messages or exc.detail) from exc
        # One tag once, whatever the spelling of the request.
        return list(dict.fromkeys(value.strip() for value in values if value.strip()))


# ---------------------------------------------------------------- accounts


class AccountSerializer(OutputSerializer):
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "kind",
            "status",
            "industry",
            "size",
            "website",
            "domain",
            "email",
            "phone",
            "billing_street",
            "billing_city",
            "billing_postal_code",
            "billing_country",
            "shipping_street",
            "shipping_city",
            "shipping_postal_code",
            "shipping_country",
            "tax_id",
            "currency",
            "owner",
            "parent",
            "tags",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


# An account list page: AccountSerializer's answer, read from columns and one tag query.
account_list_rows = ListRows(AccountSerializer, computed=["tags"])


@extend_schema_serializer(component_name="Account")
class AccountInputSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=_users(), required=False, allow_null=True)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), required=False, allow_null=True
    )
    currency = serializers.RegexField(
        r"^[A-Z]{3}$", required=False, help_text="ISO 4217 code, e.g. EUR."
    )
    billing_country = serializers.RegexField(
        r"^([A-Z]{2})?$", required=False, allow_blank=True, help_text="ISO 3166 code."
    )
    shipping_country = serializers.RegexField(
        r"^([A-Z]{2})?$", required=False, allow_blank=True, help_text="ISO 3166 code."
    )
    tags = _TagsField(required=False)

    class Meta:
        model = Account
        fields = [
            "name",
            "kind",
            "status",
            "industry",
            "size",
            "website",
            "email",
            "phone",
            "billing_street",
            "billing_city",
            "billing_postal_code",
            "billing_country",
            "shipping_street",
            "shipping_city",
            "shipping_postal_code",
            "shipping_country",
            "tax_id",
            "currency",
            "owner",
            "parent",
            "tags",
        ]
        # The service checks constraints; the serializer must not query for them on its own.
        validators = []


class AccountMergeSerializer(serializers.Serializer):
    duplicate = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(),
        help_text="The account folded into this one: its contacts, opportunities and "
        "activities move here, then it is deleted.",
    )


# ---------------------------------------------------------------- contacts


class ContactSerializer(OutputSerializer):
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "account",
            "first_name",
            "last_name",
            "full_name",
            "email",
            "phone",
            "title",
            "marketing_consent",
            "consent_at",
            "consent_source",
            "owner",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="Contact")
class ContactUpdateSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=_users(), required=False, allow_null=True)

    class Meta:
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "title",
            "marketing_consent",
            "consent_at",
            "consent_source",
            "owner",
        ]
        validators = []


@extend_schema_serializer(component_name="ContactCreate")
class ContactCreateSerializer(ContactUpdateSerializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())

    class Meta(ContactUpdateSerializer.Meta):
        fields = ["account", *ContactUpdateSerializer.Meta.fields]


# ---------------------------------------------------------------- leads


class LeadSerializer(OutputSerializer):
    class Meta:
        model = Lead
        fields = [
            "id",
            "first_name",
            "last_name",
            "company",
            "email",
            "phone",
            "title",
            "source",
            "status",
            "score",
            "message",
            "campaign",
            "owner",
            "converted_at",
            "converted_account",
            "converted_contact",
            "converted_opportunity",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="Lead")
class LeadInputSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=_users(), required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=Lead.Status.choices,
        required=False,
        help_text="`converted` is set by the convert action only.",
    )

    class Meta:
        model = Lead
        fields = [
            "first_name",
            "last_name",
            "company",
            "email",
            "phone",
            "title",
            "source",
            "status",
            "score",
            "message",
            "campaign",
            "owner",
        ]
        validators = []


class LeadConvertSerializer(serializers.Serializer):
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(),
        required=False,
        allow_null=True,
        help_text="Attach to this existing account instead of creating one.",
    )
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(),
        required=False,
        allow_null=True,
        help_text="Attach to this existing contact (of `account`) instead of creating one.",
    )
    opportunity_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Open an opportunity with this name as well.",
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Amount of the new opportunity, a decimal string.",
    )


# ---------------------------------------------------------------- opportunities


class OpportunitySerializer(OutputSerializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "account",
            "contact",
            "name",
            "amount",
            "currency",
            "expected_close_date",
            "stage",
            "status",
            "probability",
            "lost_reason",
            "closed_at",
            "source_campaign",
            "owner",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="Opportunity")
class OpportunityUpdateSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=_users(), required=False, allow_null=True)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), required=False, allow_null=True
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text='A decimal string, e.g. "1200.00", in the account\'s currency.',
    )
    stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(),
        required=False,
        help_text="Another stage of its pipeline: the same as the `move` action.",
    )

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "contact",
            "amount",
            "expected_close_date",
            "stage",
            "lost_reason",
            "source_campaign",
            "owner",
        ]
        validators = []


@extend_schema_serializer(component_name="OpportunityCreate")
class OpportunityCreateSerializer(OpportunityUpdateSerializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())
    stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(),
        required=False,
        allow_null=True,
        help_text="Leave out for the first stage of the default pipeline.",
    )

    class Meta(OpportunityUpdateSerializer.Meta):
        fields = ["account", *OpportunityUpdateSerializer.Meta.fields]


class OpportunityMoveSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(), help_text="A stage of the opportunity's pipeline."
    )
    lost_reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why it was lost, when the stage is a lost one.",
    )


# ---------------------------------------------------------------- activities


class ActivitySerializer(OutputSerializer):
    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "subject",
            "notes",
            "account",
            "contact",
            "opportunity",
            "due_at",
            "done",
            "done_at",
            "owner",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="Activity")
class ActivityInputSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=_users(), required=False, allow_null=True)

    class Meta:
        model = Activity
        fields = [
            "kind",
            "subject",
            "notes",
            "account",
            "contact",
            "opportunity",
            "due_at",
            "owner",
        ]
        validators = []


# ---------------------------------------------------------------- segments and campaigns


class SegmentCriteriaSerializer(serializers.Serializer):
    """The saved filter over accounts: every key optional, all must match; a text key may
    list several values, comma-separated (`"status": "prospect,active"`)."""

    industry = serializers.CharField(max_length=200, required=False)
    status = serializers.CharField(
        max_length=100, required=False, help_text="prospect, active or churned."
    )
    kind = serializers.CharField(max_length=100, required=False, help_text="company or person.")
    tag = serializers.CharField(max_length=200, required=False)
    country = serializers.CharField(
        max_length=100, required=False, help_text="ISO 3166 code(s) of the billing address."
    )
    owner = serializers.IntegerField(required=False, min_value=1, help_text="User id.")
    created_after = serializers.DateField(required=False)
    created_before = serializers.DateField(required=False)

    def run_validation(self, data=serializers.empty):
        # The error schema wants a flat list of messages per request field.
        try:
            return super().run_validation(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError(
                [
                    message if key == "non_field_errors" else f"{key}: {message}"
                    for key, messages in exc.detail.items()
                    for message in (messages if isinstance(messages, list) else [messages])
                ]
            ) from exc

    def to_internal_value(self, data):
        if isinstance(data, dict) and set(data) - set(self.fields):
            raise serializers.ValidationError(
                [f"Unknown criteria: use only {', '.join(self.fields)}."]
            )
        values = super().to_internal_value(data)
        # Stored as JSON: dates as ISO strings.
        return {
            key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in values.items()
        }


class SegmentSerializer(OutputSerializer):
    criteria = serializers.DictField(
        read_only=True, help_text="The saved filter, as given (see the create request)."
    )

    class Meta:
        model = Segment
        fields = ["id", "name", "description", "criteria", "owner", *TIMESTAMPS]
        read_only_fields = fields


@extend_schema_serializer(component_name="Segment")
class SegmentInputSerializer(serializers.ModelSerializer):
    criteria = SegmentCriteriaSerializer(required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=_users(), required=False, allow_null=True)

    class Meta:
        model = Segment
        fields = ["name", "description", "criteria", "owner"]
        validators = []


class CampaignSerializer(OutputSerializer):
    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "segment",
            "status",
            "subject",
            "body",
            "sent_at",
            "owner",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="Campaign")
class CampaignInputSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=_users(), required=False, allow_null=True)

    class Meta:
        model = Campaign
        fields = ["name", "segment", "subject", "body", "owner"]
        validators = []


# ---------------------------------------------------------------- web-to-lead


class WebLeadSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, help_text="This or `phone` is needed."
    )
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    message = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    # Named as crm.services.leads.WEB_LEAD_HONEYPOT, which the service checks.
    hp_website = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text="Leave empty: a field hidden from people, which only robots fill in.",
    )


class WebLeadReceivedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["received"])
    detail = serializers.CharField()
