"""`manage.py seed_demo [--scale N]`: load each app's demo data (its `demo.py`), in layer order."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Our apps, bottom layer first; each may ship a `demo.py` with `seed(*, scale, log)`.
OUR_APPS = ("integration", "crm", "hr", "inventory", "sales", "support", "finance")


class Command(BaseCommand):
    help = "Load deterministic demo data; safe to run again (each part skips what exists)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=int, default=None, help="Number of accounts, for benchmarks."
        )

    def handle(self, *args, scale: int | None, **options):
        if scale is not None and scale < 1:
            raise CommandError("--scale must be at least 1.")
        for config in apps.get_app_configs():
            if config.name not in OUR_APPS or find_spec(f"{config.name}.demo") is None:
                continue
            module = import_module(f"{config.name}.demo")
            with transaction.atomic():
                module.seed(scale=scale, log=lambda msg, app=config.label: self._log(app, msg))

    def _log(self, app: str, message: str) -> None:
        self.stdout.write(f"[{app}] {message}")
