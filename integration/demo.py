"""Integration's part of the demo data: one user per role, sharing a generated password."""

import secrets
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from integration.roles import ROLES, sync_roles

DEMO_DOMAIN = "demo.tandem.localhost"


def demo_password_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-password.txt"


def seed(*, scale: int | None, log) -> None:
    sync_roles()
    password_file = demo_password_file()
    if password_file.exists():
        password = password_file.read_text().strip()
    else:
        password = secrets.token_urlsafe(12)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
    user_model = get_user_model()
    created = []
    for role in ROLES:
        username = role.lower()
        email = f"{username}@{DEMO_DOMAIN}"
        user, was_created = user_model._default_manager.get_or_create(
            username=username,
            defaults={"email": email, "first_name": role, "last_name": "Demo"},
        )
        if was_created:
            user.set_password(password)
            user.save(update_fields=["password"])
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"primary": True, "verified": True}
            )
            created.append(username)
        user.groups.add(Group.objects.get(name=role))
    if created:
        log(f"Demo users ({', '.join(created)}) with password {password} (in {password_file})")
    else:
        log("Demo users already present.")
