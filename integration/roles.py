"""Roles: the one declarative table of what each group may use and do.

Each role names the areas (top-level pages) its members use and the Django permissions
it grants, as patterns `app_label.codename` with shell-style wildcards; a pattern that
starts with `-` takes permissions away again (HR personal data stays with HR). Each app,
when it adds models, adds its rows here; `python manage.py sync_roles` (also run after
every migrate) makes the groups in the database match the table exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


@dataclass(frozen=True)
class Area:
    key: str
    label: str
    url_name: str
    description: str


# The top-level areas, in navigation order.
AREAS: tuple[Area, ...] = (
    Area(
        "customers",
        "Customers",
        "integration:customer_index",
        "One page per customer: the 360° view.",
    ),
    Area("crm", "CRM", "crm:index", "Accounts, contacts, leads, opportunities and campaigns."),
    Area("sales", "Sales", "sales:index", "Quotes, orders and contracts."),
    Area("support", "Support", "support:index", "Tickets, SLAs and the knowledge base."),
    Area("hr", "HR", "hr:index", "Employees, leave, recruiting and training."),
    Area("finance", "Finance", "finance:index", "Ledger, invoices, payments, VAT and reports."),
    Area(
        "inventory", "Inventory", "inventory:index", "Warehouses, stock, suppliers and purchasing."
    ),
)
AREA_KEYS = frozenset(area.key for area in AREAS)

# The apps an API token scope can name (`<app>:read`, `<app>:write`).
API_APPS = ("integration", "crm", "sales", "support", "hr", "finance", "inventory")


@dataclass(frozen=True)
class Role:
    areas: frozenset[str]
    permissions: tuple[str, ...] = ()
    description: str = ""


def _areas(*keys: str) -> frozenset[str]:
    unknown = set(keys) - AREA_KEYS
    if unknown:
        raise ValueError(f"Unknown areas in roles table: {sorted(unknown)}")
    return frozenset(keys)


ALL_AREAS = frozenset(AREA_KEYS)

ROLES: dict[str, Role] = {
    "Admin": Role(
        areas=ALL_AREAS,
        permissions=("*",),
        description="Everything, including users, roles, API tokens and webhooks.",
    ),
    "Manager": Role(
        areas=ALL_AREAS,
        permissions=("*.view_*", "-auth.*", "-integration.view_apitoken", "-sessions.*"),
        description="Reads everything except HR personal data and credentials.",
    ),
    "Sales": Role(
        areas=_areas("customers", "crm", "sales"),
        permissions=(
            "crm.view_*",
            "crm.*_account",
            "crm.*_contact",
            "crm.*_opportunity",
            "crm.*_activity",
            "crm.*_tag",
            "crm.change_lead",  # to convert a lead
            "sales.*",
            "inventory.view_product",  # the catalogue and its stock figures
            "inventory.view_category",
            "inventory.view_warehouse",
        ),
        description="Accounts to orders.",
    ),
    "Marketing": Role(
        areas=_areas("customers", "crm"),
        permissions=(
            "crm.view_*",
            "crm.*_lead",
            "crm.*_campaign",
            "crm.*_campaignmember",
            "crm.*_segment",
            "crm.*_webleadform",
            "crm.*_tag",
        ),
        description="Leads, campaigns, segments.",
    ),
    "Support": Role(
        areas=_areas("customers", "support"), description="Tickets and knowledge base."
    ),
    "HR": Role(areas=_areas("hr"), description="Employees, leave, recruiting, training."),
    "Finance": Role(
        areas=_areas("customers", "finance"), description="Ledger, invoices, payments, VAT."
    ),
    "Warehouse": Role(
        areas=_areas("inventory"),
        permissions=("inventory.*",),
        description="Stock, warehouses, purchasing.",
    ),
}


def role_names() -> list[str]:
    return list(ROLES)


def _matches(perm: str, patterns: tuple[str, ...]) -> bool:
    granted = False
    for pattern in patterns:
        if pattern.startswith("-"):
            if fnmatchcase(perm, pattern[1:]):
                granted = False
        elif fnmatchcase(perm, pattern):
            granted = True
    return granted


def permissions_for(role: Role, all_permissions: list[Any]) -> list[Any]:
    """The Permission rows a role grants, from the patterns of the table."""
    return [
        perm
        for perm in all_permissions
        if _matches(f"{perm.content_type.app_label}.{perm.codename}", role.permissions)
    ]


@transaction.atomic
def sync_roles(*, using: str = "default") -> dict[str, int]:
    """Create missing groups and set each one's permissions to exactly what the table says."""
    from django.contrib.auth.models import Group, Permission

    all_permissions = list(Permission.objects.using(using).select_related("content_type"))
    applied: dict[str, int] = {}
    for name, role in ROLES.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        perms = permissions_for(role, all_permissions)
        group.permissions.set(perms)
        applied[name] = len(perms)
    return applied


def sync_roles_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.apps import apps

    # Run once per migrate, after the last app's permissions have been created.
    configs = [config for config in apps.get_app_configs() if config.models_module is not None]
    if configs and sender is configs[-1]:
        sync_roles(using=using)


def user_roles(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_tandem_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._tandem_roles = cached  # type: ignore[union-attr]
    return cached


def user_areas(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """The areas a user may open: a superuser all of them, others by their roles."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ALL_AREAS
    areas: set[str] = set()
    for name in user_roles(user):
        role = ROLES.get(name)
        if role:
            areas |= role.areas
    return frozenset(areas)
