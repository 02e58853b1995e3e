"""App configuration for crm."""

from django.apps import AppConfig


class CRMConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM"
    default_auto_field = "django.db.models.BigAutoField"
