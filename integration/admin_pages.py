"""One-off admin pages of integration (a create form, a secret shown once), rendered alike."""

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse


def render_admin_page(
    model_admin: admin.ModelAdmin, request: HttpRequest, template: str, *, title: str, **context
) -> TemplateResponse:
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": title,
            "has_view_permission": model_admin.has_view_permission(request),
            **context,
        },
    )
