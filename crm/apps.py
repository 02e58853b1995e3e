"""App configuration for crm; ready() wires framework signals and the 360° view's links."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CRMConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A database flushed or migrated without the data migration's rows (tests that
        # flush, a restored dump) still gets a default pipeline: opportunities need one.
        post_migrate.connect(
            _ensure_default_pipeline, sender=self, dispatch_uid="crm.ensure_default_pipeline"
        )
        from integration.customer_view import register_source_page

        for subject_type, url_name in SOURCE_PAGES.items():
            register_source_page(subject_type, url_name)


# The pages the 360° view links CRM subjects to.
SOURCE_PAGES = {
    "crm.account": "crm:account_detail",
    "crm.contact": "crm:contact_detail",
    "crm.opportunity": "crm:opportunity_detail",
    "crm.lead": "crm:lead_detail",
}


def _ensure_default_pipeline(**_kwargs) -> None:
    from crm.defaults import ensure_default_pipeline
    from crm.models import Pipeline, Stage

    ensure_default_pipeline(Pipeline, Stage)
