"""Account services: create, update, delete and merge customers, with their events."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.errors import AccountHasOpenOpportunities, CannotMergeIntoItself, DuplicateAccount
from crm.events import (
    account_data,
    activity_data,
    contact_data,
    deleted_data,
    lead_data,
    opportunity_data,
)
from crm.models import Account, Activity, CampaignMember, Contact, Lead, Opportunity, Tag
from integration.changes import (
    FieldChanges,
    default_owner,
    field_error,
    lock_version,
    publish_deleted,
    save_changes,
)
from integration.events import publish

# Legal-form words that do not tell two companies apart ("Acme Oy" is "Acme Ltd").
LEGAL_SUFFIXES = frozenset(
    {
        "ab", "ag", "aps", "as", "asa", "bv", "co", "company", "corp", "corporation", "gmbh",
        "inc", "incorporated", "ky", "limited", "llc", "llp", "lp", "ltd", "nv", "oy", "oyj",
        "plc", "sa", "sarl", "sas", "spa", "srl", "tmi", "ug",
    }
)  # fmt: skip
# Mailbox providers: an address there says nothing about which company a person is with.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "hotmail.com", "outlook.com", "live.com", "yahoo.com",
        "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net", "web.de", "proton.me",
        "protonmail.com", "luukku.com", "suomi24.fi", "yandex.ru", "mail.ru",
    }
)  # fmt: skip
# Profile fields a merge copies from the duplicate where the survivor has none.
MERGE_FILL_FIELDS = (
    "industry", "size", "website", "email", "phone", "tax_id",
    "billing_street", "billing_city", "billing_postal_code", "billing_country",
    "shipping_street", "shipping_city", "shipping_postal_code", "shipping_country",
)  # fmt: skip
_DERIVED = ("normalized_name", "domain")


def normalize_name(name: str) -> str:
    """Lower-case, punctuation and legal-form words removed: "Acme, Inc." → "acme"."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[.'\u2019]", "", text)  # "A.B.C." and "O'Neil" stay one word
    words = re.sub(r"[\W_]+", " ", text).split()
    core = list(words)
    while core and core[-1] in LEGAL_SUFFIXES:
        core.pop()
    while core and core[0] in LEGAL_SUFFIXES:  # "Oy Karl Fazer Ab"
        core.pop(0)
    return " ".join(core or words)[:200]


def domain_of(*, website: str = "", email: str = "") -> str:
    """The host of the website without "www.", else the domain of a non-free-mail e-mail."""
    if website:
        parts = urlsplit(website if "//" in website else f"//{website}")
        host = (parts.hostname or "").lower().rstrip(".")
        if host.startswith("www."):
            host = host[4:]
        if host:
            return host[:255]
    if email and "@" in email:
        host = email.rsplit("@", 1)[1].strip().lower().rstrip(".")
        if host and host not in FREE_MAIL_DOMAINS:
            return host[:255]
    return ""


def _derive(account: Account) -> None:
    account.normalized_name = normalize_name(account.name or "")
    account.domain = domain_of(website=account.website, email=account.email)


def _check_parent(account: Account) -> None:
    """No cycles: the new parent must not be the account or one of its descendants."""
    seen = {account.pk}
    parent_id = account.parent_id
    while parent_id is not None:
        if parent_id in seen:
            raise field_error("parent", "An account cannot be its own parent or ancestor.")
        seen.add(parent_id)
        parent_id = Account.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()


def _tag_names(tags: list[str]) -> list[str]:
    names: dict[str, str] = {}
    for raw in tags:
        name = str(raw).strip()
        if not name:
            continue
        if len(name) > Tag._meta.get_field("name").max_length:
            raise field_error("tags", f"Tag {name[:20]!r}… is longer than 50 characters.")
        names.setdefault(name.casefold(), name)
    return list(names.values())


def _set_tags(account: Account, names: list[str]) -> bool:
    """Give the account exactly these tags (matched case-insensitively); True if changed."""
    wanted = []
    for name in names:
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            tag, _ = Tag.objects.get_or_create(name=name)
        wanted.append(tag)
    current = set(account.tags.values_list("pk", flat=True))
    if current == {tag.pk for tag in wanted}:
        return False
    account.tags.set(wanted)
    return True


def _publish(event_type: str, account: Account) -> None:
    publish(event_type, subject=account, data=account_data(account), customer_id=account.pk)


@transaction.atomic
def account_create(
    *,
    name: str,
    user: AbstractBaseUser | None = None,
    tags: list[str] | None = None,
    check_duplicates: bool = False,
    **fields: Any,
) -> Account:
    """Create an account; with check_duplicates, refuse one that looks like an existing one.

    DuplicateAccount carries `duplicates` ([{id, name}]) so a page can offer them.
    """
    account = Account(name=(name or "").strip())
    FieldChanges(account, fields, forbidden=_DERIVED)
    default_owner(account, fields, user)
    _derive(account)
    names = _tag_names(tags or [])
    account.full_clean(exclude=_DERIVED)
    if account.parent_id is not None:
        _check_parent(account)
    if check_duplicates:
        from crm.selectors import account_duplicates

        duplicates = list(
            account_duplicates(name=account.name, website=account.website, email=account.email)[:5]
        )
        if duplicates:
            raise DuplicateAccount(duplicates=[{"id": a.pk, "name": a.name} for a in duplicates])
    account.save()
    if names:
        _set_tags(account, names)
    _publish("crm.account.created", account)
    return account


@transaction.atomic
def account_update(*, account: Account, tags: list[str] | None = None, **fields: Any) -> Account:
    """Change profile fields (and, if given, replace the tags). No change, no event."""
    if "name" in fields and isinstance(fields["name"], str):
        fields["name"] = fields["name"].strip()
    changes = FieldChanges(account, fields, forbidden=_DERIVED)
    changes.track(*_DERIVED)
    try:
        _derive(account)
        names = _tag_names(tags) if tags is not None else None
        account.full_clean(exclude=_DERIVED)
        if "parent" in fields or "parent_id" in fields:
            _check_parent(account)
    except ValidationError:
        changes.undo()
        raise
    changed = changes.changed()
    tags_changed = _set_tags(account, names) if names is not None else False
    if not changed and not tags_changed:
        return account
    lock_version(account)
    save_changes(account, changed)
    _publish("crm.account.updated", account)
    return account


@transaction.atomic
def account_delete(*, account: Account) -> None:
    """Delete an account with its contacts, closed opportunities and activities.

    Refused while it has open opportunities: those are a pipeline someone is working.
    """
    account = Account.objects.select_for_update().get(pk=account.pk)
    open_count = account.opportunities.filter(status=Opportunity.Status.OPEN).count()
    if open_count:
        raise AccountHasOpenOpportunities(
            f"{account.name} has {open_count} open opportunit"
            f"{'y' if open_count == 1 else 'ies'}: close or move them first.",
            open_opportunities=open_count,
        )
    # Children lose their parent (SET_NULL): say so, since their events carry parent_id.
    for child in Account.objects.filter(parent=account).select_related("owner"):
        account_update(account=child, parent=None)
    publish_deleted(
        "crm.account.deleted",
        account,
        data=deleted_data(account.pk, name=account.name, account_id=account.pk),
        customer_id=account.pk,
    )
    account.delete()


@transaction.atomic
def account_merge(*, into: Account, duplicate: Account) -> Account:
    """Fold `duplicate` into `into`: its contacts, opportunities, activities, child accounts,
    tags and converted leads move over, blank profile fields are filled, and it is deleted.

    Every moved record publishes its own update (so read models see it change customer),
    then `crm.account.merged` tells them the duplicate is gone.
    """
    if into.pk == duplicate.pk:
        raise CannotMergeIntoItself()
    # Lock both in id order so two merges of the same pair cannot deadlock.
    locked = {a.pk: a for a in Account.objects.select_for_update().filter(
        pk__in=[into.pk, duplicate.pk]).order_by("pk")}  # fmt: skip
    if len(locked) != 2:
        raise Account.DoesNotExist("An account to merge no longer exists.")
    duplicate = locked[duplicate.pk]

    contacts_moved = _merge_contacts(into, duplicate)
    opportunities_moved = 0
    for opportunity in (
        Opportunity.objects.select_for_update().filter(account=duplicate).select_related("stage")
    ):
        opportunity.account = into
        lock_version(opportunity)
        save_changes(opportunity, ["account"])
        publish(
            "crm.opportunity.updated",
            subject=opportunity,
            data=opportunity_data(opportunity),
            customer_id=into.pk,
        )
        opportunities_moved += 1
    activities_moved = 0
    for activity in Activity.objects.select_for_update().filter(account=duplicate):
        activity.account = into
        lock_version(activity)
        save_changes(activity, ["account"])
        publish(
            "crm.activity.updated",
            subject=activity,
            data=activity_data(activity),
            customer_id=into.pk,
        )
        activities_moved += 1
    for child in Account.objects.filter(parent=duplicate).exclude(pk=into.pk):
        account_update(account=child, parent=into)
    for lead in Lead.objects.select_for_update().filter(converted_account=duplicate):
        lead.converted_account = into
        lock_version(lead)
        save_changes(lead, ["converted_account"])
        publish("crm.lead.updated", subject=lead, data=lead_data(lead), customer_id=into.pk)

    # The survivor keeps its own values; blanks are filled from the duplicate.
    updates: dict[str, Any] = {
        name: getattr(duplicate, name)
        for name in MERGE_FILL_FIELDS
        if not getattr(into, name) and getattr(duplicate, name)
    }
    if into.parent_id == duplicate.pk:
        updates["parent_id"] = duplicate.parent_id
    if into.owner_id is None and duplicate.owner_id is not None:
        updates["owner_id"] = duplicate.owner_id
    tags = sorted({*into.tags.values_list("name", flat=True),
                   *duplicate.tags.values_list("name", flat=True)})  # fmt: skip
    into = account_update(account=into, tags=tags, **updates)
    # The merge is a change of the survivor: a new version, so projections apply it.
    lock_version(into)
    save_changes(into, [])
    publish(
        "crm.account.merged",
        subject=into,
        data={
            "id": into.pk,
            "merged_id": duplicate.pk,
            "merged_name": duplicate.name,
            "contacts_moved": contacts_moved,
            "opportunities_moved": opportunities_moved,
            "activities_moved": activities_moved,
        },
        customer_id=into.pk,
    )
    duplicate.delete()
    return into


def _merge_contacts(into: Account, duplicate: Account) -> int:
    """Move the duplicate's contacts; one whose e-mail the survivor already has is folded
    into that contact (its activities, opportunities and memberships move), then deleted."""
    existing = {
        c.email.casefold(): c for c in Contact.objects.filter(account=into).exclude(email="")
    }
    moved = 0
    for contact in Contact.objects.select_for_update().filter(account=duplicate).order_by("pk"):
        twin = existing.get(contact.email.casefold()) if contact.email else None
        if twin is None:
            contact.account = into
            lock_version(contact)
            save_changes(contact, ["account"])
            publish(
                "crm.contact.updated",
                subject=contact,
                data=contact_data(contact),
                customer_id=into.pk,
            )
        else:
            _fold_contact(contact, into=twin)
        moved += 1
    return moved


def _fold_contact(contact: Contact, *, into: Contact) -> None:
    for opportunity in contact.opportunities.select_for_update().select_related("stage"):
        opportunity.contact = into
        # Its account moves with the rest of the duplicate's opportunities.
        opportunity.save(update_fields=["contact", "updated_at"])
    for activity in contact.activities.select_for_update():
        activity.contact = into
        activity.save(update_fields=["contact", "updated_at"])
    taken = set(CampaignMember.objects.filter(contact=into).values_list("campaign_id", flat=True))
    contact.campaign_memberships.exclude(campaign_id__in=taken).update(contact=into)
    Lead.objects.filter(converted_contact=contact).update(converted_contact=into)
    publish_deleted(
        "crm.contact.deleted",
        contact,
        data=deleted_data(contact.pk, name=contact.full_name, account_id=contact.account_id),
        customer_id=contact.account_id,
    )
    contact.delete()
