"""App configuration for integration; ready() wires framework signals only."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = "Integration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from integration import roles

        # Every app's event types and subscribers, without naming the apps.
        autodiscover_modules("events", "handlers")

        # Permissions exist only after each app's post_migrate, so the roles are
        # (re)applied then too: a fresh database has working roles without a manual step.
        post_migrate.connect(
            roles.sync_roles_after_migrate, dispatch_uid="integration.sync_roles_after_migrate"
        )
