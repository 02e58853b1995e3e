"""How every app's services change a row: assign editable fields, remember what changed,
take the next version under a row lock, save only what changed, publish a deletion."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from integration.events import Subject, publish


def editable_fields(model: type[models.Model]) -> dict[str, models.Field]:
    """Field name (and FK attname) → field, for the fields a service caller may set."""
    result: dict[str, models.Field] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or not field.editable:
            continue
        result[field.name] = field
        if field.attname != field.name:
            result[field.attname] = field
    return result


def _snapshot(instance: models.Model, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in names}


class FieldChanges:
    """Assigns `fields` to `instance`, remembering old values to report or undo changes."""

    def __init__(
        self,
        instance: models.Model,
        fields: Mapping[str, Any],
        *,
        forbidden: Iterable[str] = (),
    ) -> None:
        allowed = editable_fields(type(instance))
        forbidden = set(forbidden)
        model_name = type(instance).__name__
        self.instance = instance
        self.fields: dict[str, models.Field] = {}
        for key in fields:
            field = allowed.get(key)
            if field is None or key in forbidden or field.name in forbidden:
                # A programming error of the caller, not bad user input.
                raise TypeError(f"{model_name} has no field {key!r} that a service may set.")
            self.fields[key] = field
        self._attnames = {field.attname for field in self.fields.values()}
        self.before = _snapshot(instance, self._attnames)
        for key, value in fields.items():
            setattr(instance, key, value)

    def track(self, *attnames: str) -> None:
        """Also report changes to fields the service itself sets (derived values)."""
        for attname in attnames:
            if attname not in self.before:
                self.before[attname] = getattr(self.instance, attname)
                self._attnames.add(attname)

    def changed(self) -> list[str]:
        """Names of the fields whose value differs from before (after full_clean's coercion)."""
        return sorted(
            attname
            for attname in self._attnames
            if getattr(self.instance, attname) != self.before[attname]
        )

    def undo(self) -> None:
        for attname, value in self.before.items():
            setattr(self.instance, attname, value)
        # A cached related object would otherwise disagree with the restored id.
        for field in self.fields.values():
            if field.is_relation and field.is_cached(self.instance):
                field.delete_cached_value(self.instance)


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def non_field_error(message: str) -> ValidationError:
    return ValidationError({NON_FIELD_ERRORS: [message]})


def lock_version(instance: models.Model) -> None:
    """Lock the row and take the next version from the database, not from a stale copy.

    Events carry the version and projections keep the newest, so two concurrent updates
    must not both publish version n+1.
    """
    current = (
        type(instance)
        ._default_manager.select_for_update()
        .values_list("version", flat=True)
        .get(pk=instance.pk)
    )
    instance.version = current + 1


def save_changes(instance: models.Model, changed: Iterable[str]) -> None:
    """Save the changed fields with the version (and `updated_at` when the model has one)."""
    fields = {*changed, "version"}
    if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
        fields.add("updated_at")
    instance.save(update_fields=sorted(fields))


def publish_deleted(
    event_type: str,
    instance: models.Model,
    *,
    data: dict,
    customer_id: int | None,
) -> None:
    """Publish a deletion before the row goes: the subject's next version orders it last."""
    publish(
        event_type,
        subject=Subject(
            instance._meta.label_lower, instance.pk, getattr(instance, "version", 0) + 1
        ),
        data=data,
        customer_id=customer_id,
    )


def default_owner(instance: models.Model, fields: Mapping[str, Any], user: Any) -> None:
    """The acting user owns what they create, unless the caller named an owner."""
    named = "owner" in fields or "owner_id" in fields
    if not named and instance.owner_id is None and getattr(user, "is_authenticated", False):
        instance.owner = user
