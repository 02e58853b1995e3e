"""Top-level URL map: pages per app, the REST API under /api/v1/, accounts and admin."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from integration import views as shell_views

# The admin logs in through allauth's login, so it shares its brute-force limit and 2FA.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Tandem administration"
admin.site.site_title = "Tandem admin"

urlpatterns = [
    path("", shell_views.dashboard, name="dashboard"),
    path("healthz", shell_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("customers/", include("integration.urls")),
    path("crm/", include("crm.urls")),
    path("sales/", include("sales.urls")),
    path("support/", include("support.urls")),
    path("hr/", include("hr.urls")),
    path("finance/", include("finance.urls")),
    path("inventory/", include("inventory.urls")),
]

# API paths answer errors in the API's JSON shape; pages get the HTML templates.
handler400 = "integration.views.bad_request"
handler403 = "integration.views.permission_denied"
handler404 = "integration.views.page_not_found"
handler500 = "integration.views.server_error"
