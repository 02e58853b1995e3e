"""API permissions: Django model permissions of the user, narrowed by a token's scopes."""

from rest_framework import permissions

from integration.access import user_has_perms
from integration.models import ApiToken


def api_app_label(view) -> str | None:
    """The app a view belongs to for scopes: `api_scope` on the view, else its model's app."""
    if hasattr(view, "api_scope"):
        return view.api_scope
    queryset = getattr(view, "queryset", None)
    if queryset is not None:
        return queryset.model._meta.app_label
    return view.__module__.split(".")[0]


class TokenScopes(permissions.BasePermission):
    """A request authenticated by a token needs `<app>:read` to read, `<app>:write` to write.

    A view with `api_scope = None` is open to any valid token (for example `/api/v1/me/`).
    """

    message = "This token's scopes do not cover this request."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        app_label = api_app_label(view)
        if app_label is None:
            return True
        write = request.method not in permissions.SAFE_METHODS
        if not token.allows(app_label, write=write):
            self.message = f"This token lacks the scope {app_label}:{'write' if write else 'read'}."
            return False
        return True


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django's model permissions, with `view_<model>` required for reads too.

    Views without a queryset (such as /me/) declare their own permission classes. A
    viewset's extra actions name their permissions in `action_permissions`, for example
    `{"revoke": ["%(app_label)s.change_%(model_name)s"]}`.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def _model(self, view):
        # A declared `queryset` names the model without building the view's selector
        # queryset (DRF's _queryset calls get_queryset, search and filters included).
        declared = getattr(view, "queryset", None)
        if declared is not None:
            return declared.model
        return self._queryset(view).model

    def has_permission(self, request, view) -> bool:
        # DRF's checks, with the permissions looked up in one query (user_has_perms) rather
        # than by loading every permission of the user and their groups.
        if not request.user or not request.user.is_authenticated:
            return False
        action_perms = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if action_perms is None and getattr(view, "_ignore_model_permissions", False):
            return True
        model = self._model(view)
        if action_perms is None:
            perms = self.get_required_permissions(request.method, model)
        else:
            kwargs = {"app_label": model._meta.app_label, "model_name": model._meta.model_name}
            perms = [perm % kwargs for perm in action_perms]
        return user_has_perms(request.user, perms)
