"""Marketing services: segments (saved account filters), campaigns and sending them."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone

from crm import selectors
from crm.errors import CampaignAlreadySent, CampaignHasNoSegment, SegmentInUse
from crm.events import campaign_data
from crm.models import Campaign, CampaignMember, Segment
from integration.changes import FieldChanges, default_owner, field_error, save_changes
from integration.events import publish

logger = logging.getLogger(__name__)


def _clean_criteria(segment: Segment) -> None:
    if not isinstance(segment.criteria, dict):
        raise field_error("criteria", "Criteria are an object of filter name → value.")
    try:
        segment.criteria = selectors.clean_account_filters(
            segment.criteria, allowed=selectors.SEGMENT_CRITERIA
        )
    except ValidationError as exc:
        raise ValidationError(
            {"criteria": [f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items()]}
        ) from None


@transaction.atomic
def segment_create(
    *, name: str, user: AbstractBaseUser | None = None, criteria: dict | None = None, **fields: Any
) -> Segment:
    """A saved filter over accounts; criteria keys are selectors.SEGMENT_CRITERIA."""
    segment = Segment(name=(name or "").strip(), criteria=criteria or {})
    FieldChanges(segment, fields)
    default_owner(segment, fields, user)
    _clean_criteria(segment)
    segment.full_clean()
    segment.save()
    return segment


@transaction.atomic
def segment_update(*, segment: Segment, **fields: Any) -> Segment:
    changes = FieldChanges(segment, fields)
    try:
        _clean_criteria(segment)
        segment.full_clean()
    except ValidationError:
        changes.undo()
        raise
    changed = changes.changed()
    if changed:
        segment.version += 1
        save_changes(segment, changed)
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment) -> None:
    if segment.campaigns.exists():
        raise SegmentInUse()
    segment.delete()


def _check_templates(campaign: Campaign) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("subject", "body"):
        try:
            Template(getattr(campaign, name) or "")
        except TemplateSyntaxError as exc:
            errors[name] = [f"Template error: {exc}"]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def campaign_create(
    *,
    name: str,
    user: AbstractBaseUser | None = None,
    segment: Segment | None = None,
    **fields: Any,
) -> Campaign:
    """A draft campaign; subject and body are Django templates ({{ contact }}, {{ account }})."""
    campaign = Campaign(name=(name or "").strip(), segment=segment)
    FieldChanges(campaign, fields, forbidden=("status", "sent_at"))
    default_owner(campaign, fields, user)
    campaign.full_clean()
    _check_templates(campaign)
    campaign.save()
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, **fields: Any) -> Campaign:
    if campaign.status == Campaign.Status.SENT and set(fields) - {"name"}:
        raise CampaignAlreadySent("A sent campaign can only be renamed.")
    changes = FieldChanges(campaign, fields, forbidden=("status", "sent_at"))
    try:
        campaign.full_clean()
        _check_templates(campaign)
    except ValidationError:
        changes.undo()
        raise
    changed = changes.changed()
    if changed:
        campaign.version += 1
        save_changes(campaign, changed)
    return campaign


@transaction.atomic
def campaign_send(*, campaign: Campaign) -> Campaign:
    """E-mail every contact of the segment who gave marketing consent and has an address;
    each becomes a member with status sent (bounced if the mail backend refused it).

    Mail goes out inside the transaction, with the campaign row locked, so a campaign can
    never be sent twice; a crash after sending but before commit could at worst send it
    again when retried, never lose the record of a committed send.
    """
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status == Campaign.Status.SENT:
        raise CampaignAlreadySent()
    if locked.segment_id is None:
        raise CampaignHasNoSegment()
    subject = Template(locked.subject or locked.name)
    body = Template(locked.body or "")
    contacts = (
        selectors.segment_contacts(locked.segment).filter(marketing_consent=True).exclude(email="")
    )
    already = set(locked.members.values_list("contact_id", flat=True))
    members = []
    sent = 0
    with mail.get_connection() as connection:
        for contact in contacts.iterator(chunk_size=500):
            if contact.pk in already:
                continue
            # Plain-text mail: no HTML escaping of names such as "O'Neil & Sons".
            context = Context({"contact": contact, "account": contact.account}, autoescape=False)
            message = mail.EmailMessage(
                subject=" ".join(subject.render(context).split()),
                body=body.render(context),
                to=[contact.email],
                connection=connection,
            )
            try:
                message.send()
            except Exception:  # a refused recipient must not stop the rest of the campaign
                logger.warning("Campaign %s: mail to contact %s failed", locked.pk, contact.pk)
                status = CampaignMember.Status.BOUNCED
            else:
                status = CampaignMember.Status.SENT
                sent += 1
            members.append(CampaignMember(campaign=locked, contact=contact, status=status))
    CampaignMember.objects.bulk_create(members, batch_size=1000)

    locked.status = Campaign.Status.SENT
    locked.sent_at = timezone.now()
    locked.version += 1
    save_changes(locked, ["status", "sent_at"])
    publish(
        "crm.campaign.sent",
        subject=locked,
        data=campaign_data(locked, members=len(already) + len(members), sent=sent),
    )
    for name in ("status", "sent_at", "version", "updated_at"):
        setattr(campaign, name, getattr(locked, name))
    return campaign


@transaction.atomic
def campaign_member_mark(*, member: CampaignMember, status: str) -> CampaignMember:
    """Record what happened to one member's mail (bounced, responded)."""
    if status not in CampaignMember.Status.values:
        raise field_error("status", f"Unknown status {status!r}.")
    if member.status != status:
        member.status = status
        member.save(update_fields=["status", "updated_at"])
    return member
