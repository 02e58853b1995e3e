"""Activity services: calls, e-mails, meetings, tasks and notes, and completing them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.events import activity_data, deleted_data
from crm.models import Account, Activity, Contact, Opportunity
from integration.changes import (
    FieldChanges,
    default_owner,
    lock_version,
    publish_deleted,
    save_changes,
)
from integration.events import publish


def _link(activity: Activity) -> None:
    """The account follows from the contact or opportunity; all three must agree."""
    errors: dict[str, list[str]] = {}
    for name in ("contact", "opportunity"):
        related = getattr(activity, name)
        if related is None:
            continue
        if activity.account_id is None:
            activity.account_id = related.account_id
        elif related.account_id != activity.account_id:
            errors[name] = [f"The {name} belongs to another account."]
    if errors:
        raise ValidationError(errors)


def _publish(event_type: str, activity: Activity) -> None:
    publish(
        event_type, subject=activity, data=activity_data(activity), customer_id=activity.account_id
    )


@transaction.atomic
def activity_log(
    *,
    subject: str,
    kind: str,
    user: AbstractBaseUser | None = None,
    account: Account | None = None,
    contact: Contact | None = None,
    opportunity: Opportunity | None = None,
    **fields: Any,
) -> Activity:
    activity = Activity(
        subject=(subject or "").strip(),
        kind=kind,
        account=account,
        contact=contact,
        opportunity=opportunity,
    )
    FieldChanges(activity, fields, forbidden=("done_at",))
    default_owner(activity, fields, user)
    if activity.done:
        activity.done_at = timezone.now()
    _link(activity)
    activity.full_clean()
    activity.save()
    _publish("crm.activity.logged", activity)
    return activity


@transaction.atomic
def activity_update(*, activity: Activity, **fields: Any) -> Activity:
    """Change an activity; setting done makes this a completion (crm.activity.completed)."""
    was_done = activity.done
    changes = FieldChanges(activity, fields, forbidden=("done_at",))
    changes.track("done_at")
    try:
        if activity.done != was_done:
            activity.done_at = timezone.now() if activity.done else None
        _link(activity)
        activity.full_clean()
    except ValidationError:
        changes.undo()
        raise
    changed = changes.changed()
    if not changed:
        return activity
    lock_version(activity)
    save_changes(activity, changed)
    completed = activity.done and not was_done
    _publish("crm.activity.completed" if completed else "crm.activity.updated", activity)
    return activity


def activity_complete(*, activity: Activity) -> Activity:
    """Mark done (once: completing a done activity changes nothing and publishes nothing)."""
    return activity_update(activity=activity, done=True)


@transaction.atomic
def activity_delete(*, activity: Activity) -> None:
    publish_deleted(
        "crm.activity.deleted",
        activity,
        data=deleted_data(activity.pk, name=activity.subject, account_id=activity.account_id),
        customer_id=activity.account_id,
    )
    activity.delete()
