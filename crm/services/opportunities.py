"""Opportunity services: open, edit, move through the pipeline's stages, win or lose."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.errors import InvalidStage, NoDefaultPipeline
from crm.events import deleted_data, opportunity_data
from crm.models import Account, Opportunity, Stage
from integration.changes import FieldChanges, lock_version, publish_deleted, save_changes
from integration.events import publish

# Derived from the stage: set through opportunity_move (or a stage in opportunity_update).
_DERIVED = ("status", "probability", "closed_at")
_MOVE_EVENTS = {
    Stage.Outcome.OPEN: "crm.opportunity.stage_changed",
    Stage.Outcome.WON: "crm.opportunity.won",
    Stage.Outcome.LOST: "crm.opportunity.lost",
}


def first_stage() -> Stage:
    from crm.selectors import pipeline_default

    pipeline = pipeline_default()
    stages = list(pipeline.stages.all()) if pipeline else []
    if not stages:
        raise NoDefaultPipeline()
    return stages[0]


def _resolve_stage(stage: Stage | int | str) -> Stage:
    if isinstance(stage, Stage):
        return stage
    try:
        return Stage.objects.select_related("pipeline").get(pk=int(stage))
    except (Stage.DoesNotExist, TypeError, ValueError):
        raise ValidationError({"stage": ["Unknown stage."]}) from None


def _apply_stage(opportunity: Opportunity, stage: Stage, *, lost_reason: str | None) -> None:
    """Status, probability and closing time follow the stage's outcome."""
    opportunity.stage = stage
    opportunity.probability = stage.probability
    opportunity.status = Opportunity.Status(stage.outcome)
    if stage.outcome == Stage.Outcome.OPEN:
        opportunity.closed_at = None
        opportunity.lost_reason = ""
    else:
        opportunity.closed_at = opportunity.closed_at or timezone.now()
        if stage.outcome == Stage.Outcome.LOST:
            if lost_reason is not None:
                opportunity.lost_reason = lost_reason.strip()
        else:
            opportunity.lost_reason = ""


def _publish(event_type: str, opportunity: Opportunity) -> None:
    publish(
        event_type,
        subject=opportunity,
        data=opportunity_data(opportunity),
        customer_id=opportunity.account_id,
    )


def _check_contact(opportunity: Opportunity) -> None:
    contact = opportunity.contact
    if contact is not None and contact.account_id != opportunity.account_id:
        raise ValidationError({"contact": ["The contact belongs to another account."]})


@transaction.atomic
def opportunity_create(
    *,
    account: Account,
    name: str,
    user: AbstractBaseUser | None = None,
    amount: Decimal | str | int = Decimal("0"),
    stage: Stage | int | None = None,
    **fields: Any,
) -> Opportunity:
    """Open an opportunity; by default in the first stage of the default pipeline and in
    the account's currency."""
    stage = first_stage() if stage is None else _resolve_stage(stage)
    opportunity = Opportunity(account=account, name=(name or "").strip(), amount=amount)
    FieldChanges(opportunity, fields, forbidden=(*_DERIVED, "stage"))
    if "currency" not in fields:
        opportunity.currency = account.currency
    if opportunity.owner_id is None and "owner" not in fields:
        opportunity.owner = user if getattr(user, "is_authenticated", False) else account.owner
    _apply_stage(opportunity, stage, lost_reason=fields.get("lost_reason"))
    opportunity.full_clean()
    _check_contact(opportunity)
    opportunity.save()
    _publish("crm.opportunity.created", opportunity)
    return opportunity


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, **fields: Any) -> Opportunity:
    """Change details; a new stage makes this a move (stage_changed / won / lost event)."""
    new_stage = fields.pop("stage", None)
    if new_stage is None and "stage_id" in fields:
        new_stage = fields.pop("stage_id")
    old_stage_id = opportunity.stage_id
    changes = FieldChanges(opportunity, fields, forbidden=_DERIVED)
    changes.track("stage_id", "lost_reason", *_DERIVED)
    try:
        if new_stage is not None:
            stage = _resolve_stage(new_stage)
            _check_pipeline(opportunity, stage)
            if stage.pk != old_stage_id:
                _apply_stage(opportunity, stage, lost_reason=fields.get("lost_reason"))
        opportunity.full_clean()
        _check_contact(opportunity)
    except (ValidationError, InvalidStage):
        changes.undo()
        raise
    changed = changes.changed()
    if not changed:
        return opportunity
    lock_version(opportunity)
    save_changes(opportunity, changed)
    if opportunity.stage_id != old_stage_id:
        _publish(_MOVE_EVENTS[opportunity.stage.outcome], opportunity)
    else:
        _publish("crm.opportunity.updated", opportunity)
    return opportunity


def _check_pipeline(opportunity: Opportunity, stage: Stage) -> None:
    if opportunity.stage_id is None:
        return
    current_pipeline = (
        Stage.objects.filter(pk=opportunity.stage_id).values_list("pipeline_id", flat=True).first()
    )
    if current_pipeline is not None and stage.pipeline_id != current_pipeline:
        raise InvalidStage(stage=stage.pk)


@transaction.atomic
def opportunity_move(
    *, opportunity: Opportunity, stage: Stage | int, lost_reason: str = ""
) -> Opportunity:
    """Move to a stage of the same pipeline; its outcome decides the status and the event:
    crm.opportunity.stage_changed (open stage), .won or .lost. The same stage: no event."""
    stage = _resolve_stage(stage)
    fields: dict[str, Any] = {"stage": stage}
    if lost_reason and stage.outcome == Stage.Outcome.LOST:
        fields["lost_reason"] = lost_reason
    return opportunity_update(opportunity=opportunity, **fields)


@transaction.atomic
def opportunity_delete(*, opportunity: Opportunity) -> None:
    publish_deleted(
        "crm.opportunity.deleted",
        opportunity,
        data=deleted_data(opportunity.pk, name=opportunity.name, account_id=opportunity.account_id),
        customer_id=opportunity.account_id,
    )
    opportunity.delete()
