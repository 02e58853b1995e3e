"""`manage.py sync_roles`: make each group's permissions match the roles table in code."""

from django.core.management.base import BaseCommand

from integration.roles import sync_roles


class Command(BaseCommand):
    help = (
        "Create the role groups if missing and (re)apply their permissions from integration.roles."
    )

    def handle(self, *args, **options):
        for name, count in sync_roles().items():
            self.stdout.write(f"{name}: {count} permission(s)")
