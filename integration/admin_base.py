"""What every app's admin shares: saving and deleting through the app's services (so an admin
edit publishes its event), read-only admins and inlines, domain errors shown as messages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from integration.changes import editable_fields
from integration.errors import DomainError
from integration.events import acting_as


def error_text(exc: Exception) -> str:
    """A ValidationError's or DomainError's messages as one line for an admin message."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return " ".join(exc.messages)
    return str(getattr(exc, "detail", exc))


def apply_each(
    request: HttpRequest, objects: Iterable[Model], call: Callable[[Model], Any]
) -> tuple[int, list[str]]:
    """Run `call(obj)` on each object as the admin user (an admin action calling a service):
    how many went through, and "obj: reason" for each one a domain rule refused."""
    done, refused = 0, []
    with acting_as(request.user):
        for obj in objects:
            try:
                call(obj)
                done += 1
            except (DomainError, ValidationError) as exc:
                refused.append(f"{obj}: {error_text(exc)}")
    return done, refused


class ServiceAdmin(admin.ModelAdmin):
    """Saves and deletes through the app's services, so an admin edit publishes its event.

    Subclasses implement `create(request, data)`, `update(obj, data)` and `delete(obj)`;
    `data` holds the form's model fields (all of them on create, the changed ones on edit),
    plus the many-to-many fields named in `m2m_fields`, which the service sets.
    """

    m2m_fields: tuple[str, ...] = ()

    def create(self, request: HttpRequest, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def update(self, obj: Model, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def delete(self, obj: Model) -> None:
        raise NotImplementedError

    def _form_data(self, form, *, changed_only: bool) -> dict[str, Any]:
        allowed = editable_fields(self.model)
        names = form.changed_data if changed_only else list(form.cleaned_data)
        return {
            name: form.cleaned_data[name]
            for name in names
            if name in allowed or name in self.m2m_fields
        }

    def save_model(self, request, obj, form, change):
        with acting_as(request.user):
            if change:
                # The form already wrote onto `obj`; the service compares against the row.
                fresh = type(obj)._default_manager.get(pk=obj.pk)
                result = self.update(fresh, self._form_data(form, changed_only=True))
            else:
                result = self.create(request, self._form_data(form, changed_only=False))
        for field in self.model._meta.concrete_fields:
            setattr(obj, field.attname, getattr(result, field.attname))
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields went through the service in save_model; inlines still save.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        with acting_as(request.user):
            self.delete(obj)

    def delete_queryset(self, request, queryset):
        refused = []
        with acting_as(request.user):
            for obj in queryset:
                try:
                    self.delete(obj)
                except DomainError as exc:
                    refused.append(f"{obj}: {exc.detail}")
        if refused:
            messages.error(request, "Not deleted — " + "; ".join(refused))

    def _guarded(self, request: HttpRequest, view, *args, **kwargs) -> HttpResponse:
        """A rule the form could not see (a domain error) becomes a message, not a 500."""
        try:
            return view(request, *args, **kwargs)
        except (DomainError, ValidationError) as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._guarded(request, super().changeform_view, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return self._guarded(request, super().delete_view, object_id, extra_context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Derived or append-only data: looked at, never written here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown for orientation under their parent; edited elsewhere, if at all."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
