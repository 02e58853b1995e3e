"""Contact services: people at an account, with their marketing consent."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.events import contact_data, deleted_data
from crm.models import Account, Contact
from integration.changes import (
    FieldChanges,
    default_owner,
    field_error,
    lock_version,
    publish_deleted,
    save_changes,
)
from integration.events import publish

DUPLICATE_EMAIL = "This account already has a contact with this e-mail."


def _check_email(contact: Contact) -> None:
    """The per-account unique e-mail as a field error (the database constraint backs it)."""
    if not contact.email or contact.account_id is None:
        return
    taken = (
        Contact.objects.filter(account_id=contact.account_id, email__iexact=contact.email)
        .exclude(pk=contact.pk)
        .exists()
    )
    if taken:
        raise field_error("email", DUPLICATE_EMAIL)


def _stamp_consent(contact: Contact, *, given_at: Any) -> None:
    """consent_at says when the current consent was given; withdrawing it clears it."""
    if contact.marketing_consent:
        contact.consent_at = given_at or timezone.now()
    else:
        contact.consent_at = None


def _clean(contact: Contact) -> None:
    for name in ("first_name", "last_name", "email", "phone", "title"):
        value = getattr(contact, name)
        if isinstance(value, str):
            setattr(contact, name, value.strip())
    _check_email(contact)
    contact.full_clean()


def _publish(event_type: str, contact: Contact) -> None:
    publish(event_type, subject=contact, data=contact_data(contact), customer_id=contact.account_id)


@transaction.atomic
def contact_create(
    *, account: Account, first_name: str, user: AbstractBaseUser | None = None, **fields: Any
) -> Contact:
    contact = Contact(account=account, first_name=first_name or "")
    FieldChanges(contact, fields)
    default_owner(contact, fields, user)
    _stamp_consent(contact, given_at=contact.consent_at)
    _clean(contact)
    contact.save()
    _publish("crm.contact.created", contact)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, **fields: Any) -> Contact:
    """Change a contact (also its account: it then counts for the new customer)."""
    consent_before = contact.marketing_consent
    changes = FieldChanges(contact, fields)
    changes.track("consent_at")
    try:
        if contact.marketing_consent != consent_before:
            _stamp_consent(contact, given_at=fields.get("consent_at"))
        _clean(contact)
    except ValidationError:
        changes.undo()
        raise
    changed = changes.changed()
    if not changed:
        return contact
    lock_version(contact)
    save_changes(contact, changed)
    _publish("crm.contact.updated", contact)
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    publish_deleted(
        "crm.contact.deleted",
        contact,
        data=deleted_data(contact.pk, name=contact.full_name, account_id=contact.account_id),
        customer_id=contact.account_id,
    )
    contact.delete()
