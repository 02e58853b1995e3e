"""URLs of the CRM API, under /api/v1/crm/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from crm.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("accounts", views.AccountViewSet, basename="crm-account")
router.register("contacts", views.ContactViewSet, basename="crm-contact")
router.register("leads", views.LeadViewSet, basename="crm-lead")
router.register("opportunities", views.OpportunityViewSet, basename="crm-opportunity")
router.register("activities", views.ActivityViewSet, basename="crm-activity")
router.register("segments", views.SegmentViewSet, basename="crm-segment")
router.register("campaigns", views.CampaignViewSet, basename="crm-campaign")

urlpatterns = [
    path("web-leads/<str:key>/", views.WebLeadView.as_view(), name="crm-web-lead"),
    *router.urls,
]
