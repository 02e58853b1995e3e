"""Create the role groups. Their permissions come from integration.roles (sync_roles),
applied after every migrate, because permissions exist only once all apps have migrated."""

from django.db import migrations

ROLE_NAMES = ["Admin", "Manager", "Sales", "Marketing", "Support", "HR", "Finance", "Warehouse"]


def create_groups(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    for name in ROLE_NAMES:
        group_model.objects.using(schema_editor.connection.alias).get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("integration", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
