"""Pages of crm, under /crm/."""

from django.urls import path

from crm.views import accounts, home, lookups, marketing, people, pipeline

app_name = "crm"

urlpatterns = [
    path("", home.index, name="index"),
    path("import/", home.import_csv, name="import"),
    # accounts
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/new/", accounts.account_create, name="account_create"),
    path("accounts/<int:pk>/", accounts.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", accounts.account_edit, name="account_edit"),
    path("accounts/<int:pk>/delete/", accounts.account_delete, name="account_delete"),
    path("accounts/<int:pk>/merge/", accounts.account_merge, name="account_merge"),
    # contacts
    path("contacts/", people.contact_list, name="contact_list"),
    path("contacts/new/", people.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", people.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", people.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", people.contact_delete, name="contact_delete"),
    # leads
    path("leads/", people.lead_list, name="lead_list"),
    path("leads/new/", people.lead_create, name="lead_create"),
    path("leads/<int:pk>/", people.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", people.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/convert/", people.lead_convert, name="lead_convert"),
    # opportunities
    path("opportunities/", pipeline.opportunity_list, name="opportunity_list"),
    path("opportunities/board/", pipeline.opportunity_board, name="opportunity_board"),
    path("opportunities/forecast/", pipeline.forecast, name="forecast"),
    path("opportunities/new/", pipeline.opportunity_create, name="opportunity_create"),
    path("opportunities/<int:pk>/", pipeline.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/edit/", pipeline.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/move/", pipeline.opportunity_move, name="opportunity_move"),
    # activities
    path("activities/", pipeline.activity_list, name="activity_list"),
    path("activities/new/", pipeline.activity_create, name="activity_create"),
    path("activities/<int:pk>/edit/", pipeline.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/complete/", pipeline.activity_complete, name="activity_complete"),
    # marketing
    path("segments/", marketing.segment_list, name="segment_list"),
    path("segments/new/", marketing.segment_create, name="segment_create"),
    path("segments/preview/", marketing.segment_preview, name="segment_preview"),
    path("segments/<int:pk>/edit/", marketing.segment_edit, name="segment_edit"),
    path("campaigns/", marketing.campaign_list, name="campaign_list"),
    path("campaigns/new/", marketing.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", marketing.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/content/", marketing.campaign_content, name="campaign_content"),
    path("campaigns/<int:pk>/review/", marketing.campaign_review, name="campaign_review"),
    # lookups: the <option>s of the search-as-you-type pickers
    path("lookups/accounts/", lookups.account_lookup, name="account_lookup"),
    path("lookups/contacts/", lookups.contact_lookup, name="contact_lookup"),
    path("lookups/opportunities/", lookups.opportunity_lookup, name="opportunity_lookup"),
    path("lookups/segments/", lookups.segment_lookup, name="segment_lookup"),
    path("lookups/campaigns/", lookups.campaign_lookup, name="campaign_lookup"),
]
