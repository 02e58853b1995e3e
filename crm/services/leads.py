"""Lead services: record, qualify, convert to account + contact (+ opportunity), web-to-lead."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.errors import AlreadyConverted, FormInactive, OriginNotAllowed
from crm.events import lead_data
from crm.models import Account, Contact, Lead, WebLeadForm
from crm.services.accounts import account_create
from crm.services.contacts import contact_create
from crm.services.opportunities import opportunity_create
from integration.changes import FieldChanges, default_owner, field_error, lock_version, save_changes
from integration.events import publish

# Set only by lead_convert.
_CONVERSION = (
    "converted_at",
    "converted_account",
    "converted_contact",
    "converted_opportunity",
)
# What a public web form may fill in; anything else in the submission is ignored.
WEB_LEAD_FIELDS = ("first_name", "last_name", "company", "email", "phone", "title", "message")
# A field hidden from people by the embedding page; only bots fill it in.
WEB_LEAD_HONEYPOT = "hp_website"


def _publish(event_type: str, lead: Lead) -> None:
    publish(event_type, subject=lead, data=lead_data(lead), customer_id=lead.converted_account_id)


def _strip(lead: Lead) -> None:
    for name in ("first_name", "last_name", "company", "email", "phone", "title"):
        value = getattr(lead, name)
        if isinstance(value, str):
            setattr(lead, name, value.strip())


def _check_status(lead: Lead, before: str | None) -> None:
    converted = Lead.Status.CONVERTED
    if lead.status == converted and before != converted:
        raise field_error("status", "Convert the lead to mark it converted.")
    if before == converted and lead.status != converted:
        raise field_error("status", "A converted lead stays converted.")


@transaction.atomic
def lead_create(*, last_name: str, user: AbstractBaseUser | None = None, **fields: Any) -> Lead:
    lead = Lead(last_name=last_name or "")
    FieldChanges(lead, fields, forbidden=_CONVERSION)
    default_owner(lead, fields, user)
    _strip(lead)
    _check_status(lead, None)
    lead.full_clean()
    lead.save()
    _publish("crm.lead.created", lead)
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, **fields: Any) -> Lead:
    status_before = lead.status
    changes = FieldChanges(lead, fields, forbidden=_CONVERSION)
    try:
        _strip(lead)
        _check_status(lead, status_before)
        lead.full_clean()
    except ValidationError:
        changes.undo()
        raise
    changed = changes.changed()
    if not changed:
        return lead
    lock_version(lead)
    save_changes(lead, changed)
    _publish("crm.lead.updated", lead)
    return lead


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    user: AbstractBaseUser | None = None,
    account: Account | None = None,
    contact: Contact | None = None,
    opportunity_name: str | None = None,
    amount: Decimal | None = None,
) -> Lead:
    """Turn the lead into an account, a contact and (with a name or an amount) an
    opportunity, and link it to them. Given an `account` (and/or `contact`), attach to
    those instead of creating new ones: selectors.conversion_matches finds candidates.
    """
    # Lock, then read the lead afresh: two conversions of one lead must not both pass.
    Lead.objects.select_for_update().filter(pk=lead.pk).values_list("pk").get()
    lead.refresh_from_db()
    if lead.status == Lead.Status.CONVERTED:
        raise AlreadyConverted(
            lead=lead.pk,
            account=lead.converted_account_id,
            contact=lead.converted_contact_id,
        )
    owner = user if getattr(user, "is_authenticated", False) else lead.owner
    if contact is not None and account is None:
        account = contact.account
    if contact is not None and contact.account_id != account.pk:
        raise field_error("contact", "The contact belongs to another account.")

    if account is None:
        person = not lead.company.strip()
        account = account_create(
            name=lead.company.strip() or _full_name(lead),
            user=owner,
            kind=Account.Kind.PERSON if person else Account.Kind.COMPANY,
            email=lead.email if person else "",
            phone=lead.phone if person else "",
        )
    if contact is None and lead.email:
        # Attaching to an account that already knows this person: reuse, don't duplicate.
        contact = account.contacts.filter(email__iexact=lead.email).first()
    if contact is None:
        contact = contact_create(
            account=account,
            first_name=lead.first_name or lead.last_name,
            last_name=lead.last_name if lead.first_name else "",
            email=lead.email,
            phone=lead.phone,
            title=lead.title,
            user=owner,
        )
    opportunity = None
    if opportunity_name or amount is not None:
        opportunity = opportunity_create(
            account=account,
            name=opportunity_name or lead.company or account.name,
            amount=amount if amount is not None else Decimal("0"),
            contact=contact,
            source_campaign=lead.campaign,
            user=owner,
        )

    lead.status = Lead.Status.CONVERTED
    lead.converted_at = timezone.now()
    lead.converted_account = account
    lead.converted_contact = contact
    lead.converted_opportunity = opportunity
    lead.version += 1
    save_changes(
        lead,
        ["status", "converted_at", "converted_account", "converted_contact",
         "converted_opportunity"],
    )  # fmt: skip
    _publish("crm.lead.converted", lead)
    return lead


def _full_name(lead: Lead) -> str:
    return f"{lead.first_name} {lead.last_name}".strip()


def _origin_allowed(form: WebLeadForm, origin: str | None) -> bool:
    allowed = {str(o).strip().rstrip("/").lower() for o in form.allowed_origins or []}
    if not allowed:
        return True
    return bool(origin) and origin.strip().rstrip("/").lower() in allowed


@transaction.atomic
def web_lead_submit(*, form: WebLeadForm, data: dict, origin: str | None) -> Lead | None:
    """Accept a public form submission as a lead with source "web".

    An inactive form is FormInactive (404), an origin not on the form's allow-list is
    OriginNotAllowed (403). A filled-in honeypot returns None and creates nothing, so a
    bot cannot tell it was caught. Rate limiting is the endpoint's job.
    """
    if not form.active:
        raise FormInactive()
    if not _origin_allowed(form, origin):
        raise OriginNotAllowed(origin=origin or "")
    if str(data.get(WEB_LEAD_HONEYPOT) or "").strip():
        return None
    values = {
        name: str(data.get(name) or "").strip()
        for name in WEB_LEAD_FIELDS
        if data.get(name) is not None
    }
    if not values.get("email") and not values.get("phone"):
        raise field_error("email", "Give an e-mail address or a phone number.")
    last_name = values.pop("last_name", "")
    return lead_create(
        last_name=last_name,
        source=Lead.Source.WEB,
        campaign=form.campaign,
        owner=form.owner,
        **values,
    )
