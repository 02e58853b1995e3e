"""Forms of the CRM pages: list filters, edit forms, the lead conversion and campaign wizard.

Forms only validate and shape input; the views hand `cleaned_data` to crm.services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

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
from integration.pages import ListFilterForm
from integration.widgets import LookupSelect


def _users():
    return get_user_model().objects.filter(is_active=True).order_by("username")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


def lookup(kind: str, **kwargs: Any) -> LookupSelect:
    """A search-as-you-type picker fed by crm:<kind>_lookup (crm/views/lookups.py), e.g.
    lookup("contact", include=("account",)): never a <select> of every row."""
    return LookupSelect(f"crm:{kind}_lookup", **kwargs)


def _blank(choices: Any, label: str = "Any") -> list[tuple[str, str]]:
    return [("", label), *[(value, text) for value, text in choices if value != ""]]


# ------------------------------------------------------------------ list filters


class OwnerFilterMixin(forms.Form):
    owner = UserChoiceField(queryset=_users(), required=False, empty_label="Any owner")

    def filters(self) -> dict[str, Any]:
        chosen = super().filters()  # type: ignore[misc]
        if "owner" in chosen:
            chosen["owner"] = chosen["owner"].pk
        return chosen


class AccountFilterForm(OwnerFilterMixin, ListFilterForm):
    status = forms.ChoiceField(choices=_blank(Account.Status.choices), required=False)
    industry = forms.CharField(required=False, max_length=100)
    tag = forms.ModelChoiceField(
        queryset=Tag.objects.all(), required=False, to_field_name="name", empty_label="Any tag"
    )
    country = forms.CharField(required=False, max_length=2, label="Country")

    field_order = ("q", "status", "owner", "industry", "tag", "country")

    def filters(self) -> dict[str, Any]:
        chosen = super().filters()
        if "tag" in chosen:
            chosen["tag"] = chosen["tag"].name
        if "country" in chosen:
            chosen["country"] = chosen["country"].upper()
        return chosen


class ContactFilterForm(OwnerFilterMixin, ListFilterForm):
    marketing_consent = forms.NullBooleanField(
        required=False,
        label="Consent",
        widget=forms.Select(choices=[("", "Any"), ("true", "Consenting"), ("false", "No consent")]),
    )


class LeadFilterForm(OwnerFilterMixin, ListFilterForm):
    status = forms.ChoiceField(choices=_blank(Lead.Status.choices), required=False)
    source = forms.ChoiceField(choices=_blank(Lead.Source.choices), required=False)


class OpportunityFilterForm(OwnerFilterMixin, ListFilterForm):
    status = forms.ChoiceField(choices=_blank(Opportunity.Status.choices), required=False)
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.select_related("pipeline"), required=False, empty_label="Any stage"
    )

    def filters(self) -> dict[str, Any]:
        chosen = super().filters()
        if "stage" in chosen:
            chosen["stage"] = chosen["stage"].pk
        return chosen


class ActivityFilterForm(OwnerFilterMixin, ListFilterForm):
    kind = forms.ChoiceField(choices=_blank(Activity.Kind.choices), required=False)
    done = forms.NullBooleanField(
        required=False,
        label="State",
        widget=forms.Select(choices=[("", "Any"), ("false", "Open"), ("true", "Done")]),
    )


class SegmentFilterForm(ListFilterForm):
    pass


class CampaignFilterForm(ListFilterForm):
    status = forms.ChoiceField(choices=_blank(Campaign.Status.choices), required=False)


# ------------------------------------------------------------------ edit forms


class TagsField(forms.CharField):
    """Tags as one comma-separated text box: "vip, nordics" -> ["nordics", "vip"]."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Comma-separated, e.g. vip, nordics")
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value)
        return sorted({part.strip() for part in text.split(",") if part.strip()})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list | tuple):
            return ", ".join(str(tag) for tag in value)
        return value or ""


class AccountForm(forms.ModelForm):
    website = forms.URLField(required=False, max_length=300, assume_scheme="https")
    tags = TagsField()
    owner = UserChoiceField(queryset=_users(), required=False)

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
            "tax_id",
            "currency",
            "owner",
            "billing_street",
            "billing_city",
            "billing_postal_code",
            "billing_country",
            "shipping_street",
            "shipping_city",
            "shipping_postal_code",
            "shipping_country",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("tags", [tag.name for tag in self.instance.tags.all()])

    def clean_billing_country(self) -> str:
        return (self.cleaned_data.get("billing_country") or "").upper()

    def clean_shipping_country(self) -> str:
        return (self.cleaned_data.get("shipping_country") or "").upper()


class ContactForm(forms.ModelForm):
    owner = UserChoiceField(queryset=_users(), required=False)

    class Meta:
        model = Contact
        fields = [
            "account",
            "first_name",
            "last_name",
            "email",
            "phone",
            "title",
            "marketing_consent",
            "consent_source",
            "owner",
        ]
        widgets = {"account": lookup("account", placeholder="Search accounts…")}

    def __init__(self, *args: Any, fixed_account: Account | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.only("id", "name")
        if fixed_account is not None or self.instance.pk:
            # A contact stays at its account; from an account page the account is given.
            self.fields["account"].disabled = True
            if fixed_account is not None:
                self.initial["account"] = fixed_account.pk


class LeadForm(forms.ModelForm):
    owner = UserChoiceField(queryset=_users(), required=False)

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
            "campaign",
            "owner",
            "message",
        ]
        widgets = {
            "message": forms.Textarea(attrs={"rows": 3}),
            "campaign": lookup("campaign", placeholder="Search campaigns…"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Converting is its own action: the status select never offers it.
        self.fields["status"].choices = [
            choice for choice in Lead.Status.choices if choice[0] != Lead.Status.CONVERTED
        ]


class LeadConvertForm(forms.Form):
    account = forms.ModelChoiceField(
        queryset=Account.objects.none(),
        required=False,
        empty_label="Create a new account",
        help_text="Attach to an existing account instead of creating a duplicate.",
    )
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        empty_label="Create a new contact",
    )
    opportunity_name = forms.CharField(
        required=False, max_length=200, help_text="Leave empty to create no opportunity."
    )
    amount = forms.DecimalField(required=False, max_digits=14, decimal_places=2, min_value=0)

    def __init__(self, *args: Any, accounts=None, contacts=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        account_ids = [account.pk for account in accounts or []]
        contact_ids = [contact.pk for contact in contacts or []]
        self.fields["account"].queryset = Account.objects.filter(pk__in=account_ids)
        self.fields["contact"].queryset = Contact.objects.filter(pk__in=contact_ids)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        contact, account = data.get("contact"), data.get("account")
        if contact and account and contact.account_id != account.pk:
            self.add_error("contact", "This contact belongs to another account.")
        if data.get("amount") is not None and not data.get("opportunity_name"):
            self.add_error("opportunity_name", "Name the opportunity the amount is for.")
        return data


class OpportunityForm(forms.ModelForm):
    owner = UserChoiceField(queryset=_users(), required=False)

    class Meta:
        model = Opportunity
        fields = [
            "account",
            "contact",
            "name",
            "amount",
            "expected_close_date",
            "stage",
            "source_campaign",
            "owner",
            "lost_reason",
        ]
        widgets = {
            "expected_close_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "account": lookup("account", placeholder="Search accounts…"),
            # The contacts offered follow the account chosen above.
            "contact": lookup("contact", include=("account",), placeholder="Search contacts…"),
            "source_campaign": lookup("campaign", placeholder="Search campaigns…"),
        }

    def __init__(self, *args: Any, fixed_account: Account | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.only("id", "name")
        self.fields["contact"].queryset = Contact.objects.select_related("account").only(
            "id", "first_name", "last_name", "account__name"
        )
        self.fields["stage"].required = False
        self.fields["stage"].queryset = Stage.objects.select_related("pipeline")
        self.fields["stage"].help_text = "Empty: the first stage of the default pipeline."
        if fixed_account is not None:
            self.fields["account"].disabled = True
            self.initial["account"] = fixed_account.pk
            self.fields["contact"].queryset = fixed_account.contacts.all()
            self.fields["contact"].widget.params = {"account": fixed_account.pk}
            self.fields["contact"].widget.include = ()
        if self.instance.pk:
            # Stage changes go through "move" (board or detail page) so they publish their event.
            del self.fields["stage"]
            self.fields["account"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        contact, account = data.get("contact"), data.get("account")
        if contact and account and contact.account_id != account.pk:
            self.add_error("contact", "This contact belongs to another account.")
        return data


class OpportunityMoveForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=Stage.objects.all())
    lost_reason = forms.CharField(required=False, max_length=200)


class ActivityForm(forms.ModelForm):
    owner = UserChoiceField(queryset=_users(), required=False)

    class Meta:
        model = Activity
        fields = [
            "kind",
            "subject",
            "account",
            "contact",
            "opportunity",
            "due_at",
            "owner",
            "notes",
        ]
        widgets = {
            "due_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "account": lookup("account", placeholder="Search accounts…"),
            # Contacts and opportunities offered follow the account chosen above.
            "contact": lookup("contact", include=("account",), placeholder="Search contacts…"),
            "opportunity": lookup(
                "opportunity", include=("account",), placeholder="Search opportunities…"
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.only("id", "name")
        self.fields["contact"].queryset = Contact.objects.only("id", "first_name", "last_name")
        self.fields["opportunity"].queryset = Opportunity.objects.only("id", "name")


# ------------------------------------------------------------------ marketing


class SegmentForm(forms.ModelForm):
    """A segment's criteria as separate fields, stored as the `criteria` JSON."""

    industry = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(choices=_blank(Account.Status.choices), required=False)
    tag = forms.ModelChoiceField(
        queryset=Tag.objects.all(), required=False, to_field_name="name", empty_label="Any tag"
    )
    country = forms.CharField(required=False, max_length=2)
    created_after = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    created_before = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    CRITERIA = ("industry", "status", "tag", "country", "created_after", "created_before")

    class Meta:
        model = Segment
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for key in self.CRITERIA:
                self.initial.setdefault(key, (self.instance.criteria or {}).get(key))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        after, before = data.get("created_after"), data.get("created_before")
        if after and before and after > before:
            self.add_error("created_before", "Must be on or after the start date.")
        return data

    def criteria(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key in self.CRITERIA:
            value = self.cleaned_data.get(key)
            if value in (None, ""):
                continue
            if key == "tag":
                value = value.name
            elif key == "country":
                value = value.upper()
            elif key.startswith("created_"):
                value = value.isoformat()
            result[key] = value
        return result


class CampaignStartForm(forms.Form):
    """Wizard step 1."""

    name = forms.CharField(max_length=200)
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.all(), widget=lookup("segment", placeholder="Search segments…")
    )


class CampaignContentForm(forms.Form):
    """Wizard step 2."""

    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="A Django template: {{ contact.first_name }}, {{ account.name }}.",
    )

    def clean_body(self) -> str:
        from django.template import Template, TemplateSyntaxError

        body = self.cleaned_data["body"]
        try:
            Template(body)
        except TemplateSyntaxError as error:
            raise ValidationError(f"The template does not parse: {error}") from error
        return body


class ImportForm(forms.Form):
    KINDS = (("accounts", "Accounts"), ("contacts", "Contacts"))
    MAX_BYTES = 5 * 1024 * 1024

    kind = forms.ChoiceField(choices=KINDS)
    file = forms.FileField(help_text="CSV with a header row, UTF-8.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise ValidationError("The file is larger than 5 MB.")
        return upload


class MergeForm(forms.Form):
    duplicate = forms.ModelChoiceField(
        queryset=Account.objects.none(),
        label="Duplicate to fold into this account",
        widget=lookup("account", placeholder="Search accounts…"),
    )

    def __init__(self, *args: Any, account: Account, candidates=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Rendering offers the likely duplicates; a posted choice may be any other account.
        queryset = Account.objects.exclude(pk=account.pk)
        if candidates is not None:
            queryset = queryset.filter(pk__in=[candidate.pk for candidate in candidates])
        self.fields["duplicate"].queryset = queryset
