"""CRM event types, their schemas, and the functions that build their data.

Every event carries the whole state of its subject (event-carried state): a consumer such
as the 360° view needs nothing else. `customer_id` is the account the event concerns.
"""

from __future__ import annotations

from typing import Any

from crm.models import Account, Activity, Campaign, Contact, Lead, Opportunity
from integration.event_schemas import (
    BOOL,
    DATETIME,
    ID,
    MONEY,
    NULLABLE_DATE,
    NULLABLE_ID,
    TEXT,
    array_schema,
    enum_schema,
    iso,
    object_schema,
    register_event_types,
)

ACCOUNT = object_schema(
    {
        "id": ID,
        "name": TEXT,
        "kind": enum_schema(Account.Kind),
        "status": enum_schema(Account.Status),
        "industry": TEXT,
        "size": TEXT,
        "website": TEXT,
        "email": TEXT,
        "phone": TEXT,
        "country": TEXT,
        "currency": TEXT,
        "owner_id": NULLABLE_ID,
        "owner_name": TEXT,
        "parent_id": NULLABLE_ID,
        "tags": array_schema(TEXT),
    }
)
CONTACT = object_schema(
    {
        "id": ID,
        "account_id": ID,
        "first_name": TEXT,
        "last_name": TEXT,
        "email": TEXT,
        "phone": TEXT,
        "title": TEXT,
        "marketing_consent": BOOL,
    }
)
OPPORTUNITY = object_schema(
    {
        "id": ID,
        "account_id": ID,
        "name": TEXT,
        "amount": MONEY,
        "currency": TEXT,
        "stage_id": ID,
        "stage": TEXT,
        "probability": {"type": "integer", "minimum": 0, "maximum": 100},
        "status": enum_schema(Opportunity.Status),
        "expected_close_date": NULLABLE_DATE,
        "lost_reason": TEXT,
        "closed_at": DATETIME,
        "owner_id": NULLABLE_ID,
        "source_campaign_id": NULLABLE_ID,
    }
)
ACTIVITY = object_schema(
    {
        "id": ID,
        "kind": enum_schema(Activity.Kind),
        "subject": TEXT,
        "account_id": NULLABLE_ID,
        "contact_id": NULLABLE_ID,
        "opportunity_id": NULLABLE_ID,
        "due_at": DATETIME,
        "done": BOOL,
        "done_at": DATETIME,
        "owner_id": NULLABLE_ID,
    }
)
LEAD = object_schema(
    {
        "id": ID,
        "first_name": TEXT,
        "last_name": TEXT,
        "company": TEXT,
        "email": TEXT,
        "source": enum_schema(Lead.Source),
        "status": enum_schema(Lead.Status),
        "score": {"type": "integer"},
        "account_id": NULLABLE_ID,
        "contact_id": NULLABLE_ID,
        "opportunity_id": NULLABLE_ID,
    }
)
DELETED = object_schema({"id": ID, "account_id": NULLABLE_ID, "name": TEXT})

_TYPES: list[tuple[str, dict, str]] = [
    ("crm.account.created", ACCOUNT, "An account (customer) was created."),
    ("crm.account.updated", ACCOUNT, "An account's profile changed."),
    (
        "crm.account.merged",
        object_schema(
            {
                "id": ID,
                "merged_id": ID,
                "merged_name": TEXT,
                "contacts_moved": {"type": "integer"},
                "opportunities_moved": {"type": "integer"},
                "activities_moved": {"type": "integer"},
            }
        ),
        "A duplicate account was folded into this one and deleted.",
    ),
    ("crm.account.deleted", DELETED, "An account was deleted."),
    ("crm.contact.created", CONTACT, "A contact was added to an account."),
    ("crm.contact.updated", CONTACT, "A contact changed (or moved to another account)."),
    ("crm.contact.deleted", DELETED, "A contact was deleted."),
    ("crm.lead.created", LEAD, "A lead was recorded (by hand, import or web form)."),
    ("crm.lead.updated", LEAD, "A lead's details or status changed."),
    (
        "crm.lead.converted",
        LEAD,
        "A lead became an account, a contact and maybe an opportunity.",
    ),
    ("crm.opportunity.created", OPPORTUNITY, "An opportunity was opened."),
    ("crm.opportunity.updated", OPPORTUNITY, "An opportunity's details changed."),
    ("crm.opportunity.stage_changed", OPPORTUNITY, "An opportunity moved to another open stage."),
    ("crm.opportunity.won", OPPORTUNITY, "An opportunity was won."),
    ("crm.opportunity.lost", OPPORTUNITY, "An opportunity was lost."),
    ("crm.opportunity.deleted", DELETED, "An opportunity was deleted."),
    ("crm.activity.logged", ACTIVITY, "A call, e-mail, meeting, task or note was logged."),
    ("crm.activity.updated", ACTIVITY, "An activity changed."),
    ("crm.activity.completed", ACTIVITY, "An activity was marked done."),
    ("crm.activity.deleted", DELETED, "An activity was deleted."),
    (
        "crm.campaign.sent",
        object_schema(
            {
                "id": ID,
                "name": TEXT,
                "segment_id": NULLABLE_ID,
                "members": {"type": "integer"},
                "sent": {"type": "integer"},
            }
        ),
        "A campaign's e-mail went out to the consenting contacts of its segment.",
    ),
]

register_event_types(_TYPES)


# ---------------------------------------------------------------- payloads


def _user_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def account_data(account: Account) -> dict[str, Any]:
    """Needs `owner` and `tags` loaded or loadable (the service has them at hand)."""
    return {
        "id": account.pk,
        "name": account.name,
        "kind": account.kind,
        "status": account.status,
        "industry": account.industry,
        "size": account.size,
        "website": account.website,
        "email": account.email,
        "phone": account.phone,
        "country": account.billing_country,
        "currency": account.currency,
        "owner_id": account.owner_id,
        "owner_name": _user_name(account.owner),
        "parent_id": account.parent_id,
        "tags": sorted(tag.name for tag in account.tags.all()),
    }


def contact_data(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "account_id": contact.account_id,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "title": contact.title,
        "marketing_consent": contact.marketing_consent,
    }


def opportunity_data(opportunity: Opportunity) -> dict[str, Any]:
    """Needs `stage` loaded or loadable."""
    return {
        "id": opportunity.pk,
        "account_id": opportunity.account_id,
        "name": opportunity.name,
        "amount": f"{opportunity.amount:.2f}",
        "currency": opportunity.currency,
        "stage_id": opportunity.stage_id,
        "stage": opportunity.stage.name,
        "probability": opportunity.probability,
        "status": opportunity.status,
        "expected_close_date": iso(opportunity.expected_close_date),
        "lost_reason": opportunity.lost_reason,
        "closed_at": iso(opportunity.closed_at),
        "owner_id": opportunity.owner_id,
        "source_campaign_id": opportunity.source_campaign_id,
    }


def activity_data(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "kind": activity.kind,
        "subject": activity.subject,
        "account_id": activity.account_id,
        "contact_id": activity.contact_id,
        "opportunity_id": activity.opportunity_id,
        "due_at": iso(activity.due_at),
        "done": activity.done,
        "done_at": iso(activity.done_at),
        "owner_id": activity.owner_id,
    }


def lead_data(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.pk,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company": lead.company,
        "email": lead.email,
        "source": lead.source,
        "status": lead.status,
        "score": lead.score,
        "account_id": lead.converted_account_id,
        "contact_id": lead.converted_contact_id,
        "opportunity_id": lead.converted_opportunity_id,
    }


def campaign_data(campaign: Campaign, *, members: int, sent: int) -> dict[str, Any]:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "segment_id": campaign.segment_id,
        "members": members,
        "sent": sent,
    }


def deleted_data(pk: int, *, name: str, account_id: int | None = None) -> dict[str, Any]:
    return {"id": pk, "account_id": account_id, "name": name}
