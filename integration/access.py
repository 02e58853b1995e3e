"""Who may do what: page areas by role, and Django permissions checked in one query."""

from collections.abc import Callable, Iterable
from functools import cache, wraps

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse

from integration.roles import AREA_KEYS, user_areas


def area_required(area: str) -> Callable:
    if area not in AREA_KEYS:
        raise ValueError(f"Unknown area {area!r}")

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if area not in user_areas(request.user):
                raise PermissionDenied(f"Your roles do not include the {area} area.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# ---------------------------------------------------------------- model permissions

# Backends that grant permissions exactly as ModelBackend does (allauth's subclasses it for
# logging in only). With any other backend configured, the checks below defer to Django.
_MODEL_PERMISSION_BACKENDS = frozenset(
    {
        "django.contrib.auth.backends.ModelBackend",
        "allauth.account.auth_backends.AuthenticationBackend",
    }
)


def user_has_perm(user, perm: str) -> bool:
    """`user.has_perm(perm)` in at most one query, for hot paths such as API permission checks.

    Same answer as Django's ModelBackend: an inactive or anonymous user has no permission,
    an active superuser has all, anyone else those given to them or to one of their groups.
    Unlike `user.has_perm`, nothing is loaded or cached beyond the one permission: a
    permission taken away applies to the very next check.
    """
    return user_has_perms(user, [perm])


def user_has_perms(user, perms: Iterable[str]) -> bool:
    """Whether the user holds every one of `perms` ("app_label.codename"): one query at most."""
    wanted = set(perms)
    if not wanted:
        return True
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not _MODEL_PERMISSION_BACKENDS.issuperset(settings.AUTHENTICATION_BACKENDS):
        return user.has_perms(sorted(wanted))
    held = getattr(user, _HELD_ATTRIBUTE, None)
    if held is not None:
        return wanted <= held
    pairs = [perm.split(".", 1) for perm in sorted(wanted)]
    if any(len(pair) != 2 for pair in pairs):
        return False  # not "app_label.codename": ModelBackend never grants it either
    params: list = []
    for app_label, codename in pairs:
        params += [app_label, codename]
    params += [user.pk, user.pk]
    with connection.cursor() as cursor:
        cursor.execute(_held_permissions_sql(len(pairs)), params)
        held = {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}
    return wanted <= held


# Where a user loaded for one request keeps the permissions that came with it (see
# remember_held_permissions); a user object never outlives its request.
_HELD_ATTRIBUTE = "_tandem_held_permissions"


def remember_held_permissions(user, perms: Iterable[str]) -> None:
    """Record every permission `user` holds, read in the same query that loaded the user
    (see held_permissions_subquery), so this request's checks need no query of their own."""
    setattr(user, _HELD_ATTRIBUTE, frozenset(perms))


def held_permissions_subquery(user_id_sql: str) -> str:
    """SQL for the permissions ("app_label.codename") of the user whose id is the SQL
    expression `user_id_sql`: their own and their groups', as ModelBackend grants them."""
    qn = connection.ops.quote_name
    user_model = get_user_model()
    user_perms = user_model._meta.get_field("user_permissions")
    user_groups = user_model._meta.get_field("groups")
    group_perms = Group._meta.get_field("permissions")
    content_type_fk = Permission._meta.get_field("content_type")
    return (
        f"SELECT ct.app_label || '.' || p.codename FROM {qn(Permission._meta.db_table)} p "  # noqa: S608 - names from the models
        f"INNER JOIN {qn(ContentType._meta.db_table)} ct "
        f"ON ct.{qn(ContentType._meta.pk.column)} = p.{qn(content_type_fk.column)} "
        f"WHERE p.{qn(Permission._meta.pk.column)} IN ("
        f"SELECT up.{qn(user_perms.m2m_reverse_name())} FROM {qn(user_perms.m2m_db_table())} up "
        f"WHERE up.{qn(user_perms.m2m_column_name())} = {user_id_sql} "
        f"UNION ALL SELECT gp.{qn(group_perms.m2m_reverse_name())} "
        f"FROM {qn(user_groups.m2m_db_table())} ug "
        f"INNER JOIN {qn(group_perms.m2m_db_table())} gp "
        f"ON gp.{qn(group_perms.m2m_column_name())} = ug.{qn(user_groups.m2m_reverse_name())} "
        f"WHERE ug.{qn(user_groups.m2m_column_name())} = {user_id_sql})"
    )


@cache
def _held_permissions_sql(count: int) -> str:
    """Which of `count` (app_label, codename) pairs the user (last two parameters) holds.

    Plain SQL built from the models' metadata: compiling the equivalent ORM query would cost
    more than running it. Portable between PostgreSQL and SQLite.
    """
    qn = connection.ops.quote_name
    user_model = get_user_model()
    user_perms = user_model._meta.get_field("user_permissions")
    user_groups = user_model._meta.get_field("groups")
    group_perms = Group._meta.get_field("permissions")
    content_type_fk = Permission._meta.get_field("content_type")
    wanted = " OR ".join(["(ct.app_label = %s AND p.codename = %s)"] * count)
    return (
        f"SELECT ct.app_label, p.codename FROM {qn(Permission._meta.db_table)} p "  # noqa: S608 - names from the models
        f"INNER JOIN {qn(ContentType._meta.db_table)} ct "
        f"ON ct.{qn(ContentType._meta.pk.column)} = p.{qn(content_type_fk.column)} "
        f"WHERE ({wanted}) AND ("
        f"EXISTS (SELECT 1 FROM {qn(user_perms.m2m_db_table())} up "
        f"WHERE up.{qn(user_perms.m2m_reverse_name())} = p.{qn(Permission._meta.pk.column)} "
        f"AND up.{qn(user_perms.m2m_column_name())} = %s) "
        f"OR EXISTS (SELECT 1 FROM {qn(user_groups.m2m_db_table())} ug "
        f"INNER JOIN {qn(group_perms.m2m_db_table())} gp "
        f"ON gp.{qn(group_perms.m2m_column_name())} = ug.{qn(user_groups.m2m_reverse_name())} "
        f"WHERE gp.{qn(group_perms.m2m_reverse_name())} = p.{qn(Permission._meta.pk.column)} "
        f"AND ug.{qn(user_groups.m2m_column_name())} = %s))"
    )
