"""Roles: groups from the data migration, permissions from the table in integration.roles."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from integration.roles import ROLES, user_areas

pytestmark = pytest.mark.django_db

ROLE_NAMES = {"Admin", "Manager", "Sales", "Marketing", "Support", "HR", "Finance", "Warehouse"}


def perms_of(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{ct}.{codename}"
        for ct, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_the_migration_created_every_role_group():
    assert set(Group.objects.values_list("name", flat=True)) >= ROLE_NAMES
    assert set(ROLES) == ROLE_NAMES


def test_sync_roles_gives_admin_every_permission_and_manager_only_views():
    call_command("sync_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert perms_of("Admin") == {
        f"{app}.{code}"
        for app, code in Permission.objects.values_list("content_type__app_label", "codename")
    }
    manager = perms_of("Manager")
    assert "integration.view_apitoken" not in manager  # credentials stay with admins
    assert manager, "Manager reads everything it may"
    assert all(perm.split(".")[1].startswith("view_") for perm in manager)
    assert not any(perm.startswith("auth.") for perm in manager)


def test_sync_roles_restores_permissions_changed_by_hand():
    sales = Group.objects.get(name="Sales")
    sales.permissions.add(Permission.objects.get(codename="delete_apitoken"))
    Group.objects.filter(name="Warehouse").delete()

    call_command("sync_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115

    sales_perms = perms_of("Sales")
    assert "integration.delete_apitoken" not in sales_perms
    assert "crm.change_opportunity" in sales_perms
    assert "crm.change_campaign" not in sales_perms  # campaigns are Marketing's
    assert Group.objects.filter(name="Warehouse").exists()


def test_areas_follow_roles(make_user):
    assert user_areas(make_user(roles=["HR"])) == {"hr"}
    assert user_areas(make_user(roles=["Sales", "Support"])) == {
        "customers",
        "crm",
        "sales",
        "support",
    }
    assert "hr" not in user_areas(make_user(roles=["Finance"]))
    assert user_areas(make_user(is_superuser=True)) == {
        "customers",
        "crm",
        "sales",
        "support",
        "hr",
        "finance",
        "inventory",
    }
    assert user_areas(make_user()) == set()
