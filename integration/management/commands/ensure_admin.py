"""`manage.py ensure_admin`: create the `admin` superuser once, with a generated password."""

import secrets
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create the 'admin' superuser if it does not exist; its password is saved in var/."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="admin@tandem.localhost")

    def handle(self, *args, username: str, email: str, **options):
        password_file = Path(settings.VAR_DIR) / f"{username}-password.txt"
        user_model = get_user_model()
        if user_model._default_manager.filter(username=username).exists():
            where = password_file if password_file.exists() else "the password you set"
            self.stdout.write(f"User '{username}' exists; log in with {where}.")
            return
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user = user_model._default_manager.create_superuser(
                username=username, email=email, password=password
            )
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
            admin_group, _ = Group.objects.get_or_create(name="Admin")
            user.groups.add(admin_group)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created superuser '{username}' with password: {password}\n"
                f"(saved in {password_file})"
            )
        )
