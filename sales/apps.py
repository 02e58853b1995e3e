"""App configuration for sales; ready() registers the 360° view's links to its pages."""

from django.apps import AppConfig

# The pages the 360° view links sales documents to.
SOURCE_PAGES = {
    "sales.salesorder": "sales:order_detail",
    "sales.quote": "sales:quote_detail",
    "sales.contract": "sales:contract_detail",
}


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = "Sales"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from integration.customer_view import register_source_page

        for subject_type, url_name in SOURCE_PAGES.items():
            register_source_page(subject_type, url_name)
