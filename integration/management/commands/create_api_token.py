"""`manage.py create_api_token USERNAME --scopes SCOPE... [--expires-days N]`."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integration.errors import InvalidInput
from integration.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (only the token, on stdout)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--scopes",
            nargs="+",
            required=True,
            help="<app>:read, <app>:write or * (e.g. --scopes crm:read sales:write)",
        )
        parser.add_argument("--expires-days", type=int, default=None)
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username: str, scopes: list[str], expires_days, name: str, **opts):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc
        if expires_days is not None and expires_days <= 0:
            raise CommandError("--expires-days must be a positive number of days.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            _, raw = api_token_create(
                user=user,
                name=name or f"CLI token for {username}",
                scopes=scopes,
                expires_at=expires_at,
            )
        except InvalidInput as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(raw)
