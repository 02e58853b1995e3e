"""The CRM API under /api/v1/crm/: thin viewsets over crm.selectors and crm.services.

Every write validates with an input serializer and calls a service; answers use the output
serializers. PUT and PATCH take `If-Match` (ETagMixin); PUT requires the required fields
and, like PATCH, leaves fields it does not name unchanged.
"""

from typing import ClassVar

from django.shortcuts import get_object_or_404
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import selectors, services
from crm.api import filters as crm_filters
from crm.api import serializers as s
from crm.api.pagination import FilteredCountCursorPagination
from crm.api.throttling import WebLeadRateThrottle
from crm.models import Account, Activity, Campaign, Contact, Lead, Opportunity, Segment, WebLeadForm
from integration.api.pagination import CursorPagination
from integration.api.viewsets import ServiceModelViewSet, crud_schema, validated


# The CRM resources: the shared service-backed viewset, with the CRM's counted first pages.
# (A comment, not a docstring: the schema would show it on every operation of a subclass
# without its own.)
class CrmViewSet(ServiceModelViewSet):
    api_scope = "crm"
    pagination_class = FilteredCountCursorPagination


# ---------------------------------------------------------------- accounts


class CheckDuplicatesQuery(serializers.Serializer):
    check_duplicates = serializers.BooleanField(default=False)


CHECK_DUPLICATES = OpenApiParameter(
    "check_duplicates",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description="`true`: refuse to create an account whose normalised name or web/e-mail "
    "domain matches an existing one; the 409 `duplicate_account` lists them in `duplicates`.",
)


@crud_schema(s.AccountSerializer, s.AccountInputSerializer, s.AccountInputSerializer)
@extend_schema_view(
    create=extend_schema(
        request=s.AccountInputSerializer,
        responses={201: s.AccountSerializer},
        parameters=[CHECK_DUPLICATES],
    )
)
class AccountViewSet(CrmViewSet):
    """Accounts: the customers, companies or people."""

    queryset = Account.objects.none()  # for ModelPermissions; see get_queryset
    serializer_class = s.AccountSerializer
    create_serializer_class = s.AccountInputSerializer
    update_serializer_class = s.AccountInputSerializer
    filterset_class = crm_filters.AccountFilter
    ordering_fields: ClassVar = ["id", "name", "created_at", "updated_at"]
    detail_url_name = "crm-account-detail"
    action_permissions: ClassVar = {
        "merge": ["%(app_label)s.change_%(model_name)s", "%(app_label)s.delete_%(model_name)s"]
    }

    def get_queryset(self):
        # The ordering filter and the paginator set the order.
        return selectors.account_list(search=self.search_term())

    def list(self, request: Request, *args, **kwargs) -> Response:
        # Plain rows and one tag query: model instances, the owner join and DRF's
        # per-field serialization cost more than the page's queries.
        rows = s.account_list_rows
        accounts = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(
            accounts.select_related(None).prefetch_related(None).values(*rows.columns)
        )
        tags = selectors.account_tag_names(row["id"] for row in page)
        return self.get_paginated_response(rows(page, tags=tags))

    def rows_with_ids(self, ids: "list[int]"):
        """The list rows of these accounts (see FilteredCountCursorPagination)."""
        return Account.objects.filter(pk__in=ids).values(*s.account_list_rows.columns)

    def service_create(self, data):
        query = validated(CheckDuplicatesQuery, self.request.query_params)
        check = query["check_duplicates"]
        return services.account_create(user=self.request.user, check_duplicates=check, **data)

    def service_update(self, instance, data):
        return services.account_update(account=instance, **data)

    def service_delete(self, instance):
        services.account_delete(account=instance)

    @extend_schema(request=s.AccountMergeSerializer, responses=s.AccountSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        """Fold a duplicate into this account; the duplicate is deleted."""
        into = self.get_object()
        data = validated(s.AccountMergeSerializer, request.data)
        account = services.account_merge(into=into, duplicate=data["duplicate"])
        return Response(self.get_serializer(account).data)


# ---------------------------------------------------------------- contacts


@crud_schema(s.ContactSerializer, s.ContactCreateSerializer, s.ContactUpdateSerializer)
class ContactViewSet(CrmViewSet):
    """Contacts: people at accounts."""

    queryset = Contact.objects.none()
    serializer_class = s.ContactSerializer
    create_serializer_class = s.ContactCreateSerializer
    update_serializer_class = s.ContactUpdateSerializer
    filterset_class = crm_filters.ContactFilter
    ordering_fields: ClassVar = ["id", "last_name", "created_at", "updated_at"]
    detail_url_name = "crm-contact-detail"

    def get_queryset(self):
        return selectors.contact_list(search=self.search_term())

    def service_create(self, data):
        return services.contact_create(user=self.request.user, **data)

    def service_update(self, instance, data):
        return services.contact_update(contact=instance, **data)

    def service_delete(self, instance):
        services.contact_delete(contact=instance)


# ---------------------------------------------------------------- leads


@crud_schema(s.LeadSerializer, s.LeadInputSerializer, s.LeadInputSerializer)
class LeadViewSet(CrmViewSet):
    """Leads: unqualified interest, converted into an account, a contact and an opportunity."""

    queryset = Lead.objects.none()
    serializer_class = s.LeadSerializer
    create_serializer_class = s.LeadInputSerializer
    update_serializer_class = s.LeadInputSerializer
    filterset_class = crm_filters.LeadFilter
    ordering_fields: ClassVar = ["id", "score", "created_at", "updated_at"]
    detail_url_name = "crm-lead-detail"
    # No delete: a lead is disqualified, not erased (there is no service or event for it).
    http_method_names: ClassVar = ["get", "post", "put", "patch", "head", "options"]
    # Converting creates an account, a contact and maybe an opportunity.
    action_permissions: ClassVar = {
        "convert": [
            "crm.change_lead",
            "crm.add_account",
            "crm.add_contact",
            "crm.add_opportunity",
        ]
    }

    def get_queryset(self):
        return selectors.lead_list(search=self.search_term())

    def service_create(self, data):
        return services.lead_create(user=self.request.user, **data)

    def service_update(self, instance, data):
        return services.lead_update(lead=instance, **data)

    @extend_schema(request=s.LeadConvertSerializer, responses=s.LeadSerializer)
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk: str | None = None) -> Response:
        """Turn the lead into an account, a contact and, if named, an opportunity.

        Give `account` (and `contact`) to attach to existing records instead of creating
        new ones. A lead converts once: again is 409 `already_converted`.
        """
        lead = self.get_object()
        data = validated(s.LeadConvertSerializer, request.data)
        lead = services.lead_convert(
            lead=lead,
            user=request.user,
            account=data.get("account"),
            contact=data.get("contact"),
            opportunity_name=data.get("opportunity_name") or None,
            amount=data.get("amount"),
        )
        return Response(self.get_serializer(lead).data)


# ---------------------------------------------------------------- opportunities


@crud_schema(s.OpportunitySerializer, s.OpportunityCreateSerializer, s.OpportunityUpdateSerializer)
class OpportunityViewSet(CrmViewSet):
    """Opportunities: deals moving through a pipeline's stages. Change the stage with `move`."""

    queryset = Opportunity.objects.none()
    serializer_class = s.OpportunitySerializer
    create_serializer_class = s.OpportunityCreateSerializer
    update_serializer_class = s.OpportunityUpdateSerializer
    filterset_class = crm_filters.OpportunityFilter
    ordering_fields: ClassVar = ["id", "name", "amount", "created_at", "updated_at"]
    detail_url_name = "crm-opportunity-detail"
    action_permissions: ClassVar = {"move": ["%(app_label)s.change_%(model_name)s"]}

    def get_queryset(self):
        return selectors.opportunity_list(search=self.search_term())

    def service_create(self, data):
        return services.opportunity_create(user=self.request.user, **data)

    def service_update(self, instance, data):
        return services.opportunity_update(opportunity=instance, **data)

    def service_delete(self, instance):
        services.opportunity_delete(opportunity=instance)

    @extend_schema(request=s.OpportunityMoveSerializer, responses=s.OpportunitySerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        """Move to another stage of its pipeline; a won or lost stage closes it."""
        opportunity = self.get_object()
        data = validated(s.OpportunityMoveSerializer, request.data)
        opportunity = services.opportunity_move(
            opportunity=opportunity, stage=data["stage"], lost_reason=data["lost_reason"]
        )
        return Response(self.get_serializer(opportunity).data)


# ---------------------------------------------------------------- activities


@crud_schema(s.ActivitySerializer, s.ActivityInputSerializer, s.ActivityInputSerializer)
class ActivityViewSet(CrmViewSet):
    """Activities: calls, e-mails, meetings, tasks and notes. Finish one with `complete`."""

    queryset = Activity.objects.none()
    serializer_class = s.ActivitySerializer
    create_serializer_class = s.ActivityInputSerializer
    update_serializer_class = s.ActivityInputSerializer
    filterset_class = crm_filters.ActivityFilter
    ordering_fields: ClassVar = ["id", "created_at", "updated_at"]
    detail_url_name = "crm-activity-detail"
    action_permissions: ClassVar = {"complete": ["%(app_label)s.change_%(model_name)s"]}

    def get_queryset(self):
        return selectors.activity_list(search=self.search_term())

    def service_create(self, data):
        data.setdefault("kind", Activity.Kind.TASK)
        return services.activity_log(user=self.request.user, **data)

    def service_update(self, instance, data):
        return services.activity_update(activity=instance, **data)

    def service_delete(self, instance):
        services.activity_delete(activity=instance)

    @extend_schema(request=None, responses=s.ActivitySerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """Mark done (now)."""
        activity = services.activity_complete(activity=self.get_object())
        return Response(self.get_serializer(activity).data)


# ---------------------------------------------------------------- segments and campaigns


@crud_schema(s.SegmentSerializer, s.SegmentInputSerializer, s.SegmentInputSerializer)
class SegmentViewSet(CrmViewSet):
    """Segments: saved filters over accounts, targeted by campaigns."""

    queryset = Segment.objects.none()
    serializer_class = s.SegmentSerializer
    create_serializer_class = s.SegmentInputSerializer
    update_serializer_class = s.SegmentInputSerializer
    filterset_class = crm_filters.SegmentFilter
    ordering_fields: ClassVar = ["id", "name", "created_at", "updated_at"]
    detail_url_name = "crm-segment-detail"
    action_permissions: ClassVar = {
        "members": ["%(app_label)s.view_%(model_name)s", "crm.view_account"]
    }

    def get_queryset(self):
        return self.searched(Segment.objects.all(), "name", "description")

    def service_create(self, data):
        return services.segment_create(user=self.request.user, **data)

    def service_update(self, instance, data):
        return services.segment_update(segment=instance, **data)

    def service_delete(self, instance):
        services.segment_delete(segment=instance)

    @extend_schema(responses=s.AccountSerializer(many=True), filters=False)
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=CursorPagination,
        serializer_class=s.AccountSerializer,
    )
    def members(self, request: Request, pk: str | None = None) -> Response:
        """The accounts the segment matches now, in cursor pages."""
        segment = self.get_object()
        page = self.paginate_queryset(selectors.segment_accounts(segment))
        return self.get_paginated_response(s.AccountSerializer(page, many=True).data)


@crud_schema(s.CampaignSerializer, s.CampaignInputSerializer, s.CampaignInputSerializer)
class CampaignViewSet(CrmViewSet):
    """Campaigns: an e-mail to the consenting contacts of a segment. Send it with `send`."""

    queryset = Campaign.objects.none()
    serializer_class = s.CampaignSerializer
    create_serializer_class = s.CampaignInputSerializer
    update_serializer_class = s.CampaignInputSerializer
    filterset_class = crm_filters.CampaignFilter
    ordering_fields: ClassVar = ["id", "name", "created_at", "updated_at"]
    detail_url_name = "crm-campaign-detail"
    # No delete: a campaign's record stays with its members and influenced opportunities.
    http_method_names: ClassVar = ["get", "post", "put", "patch", "head", "options"]
    action_permissions: ClassVar = {"send": ["%(app_label)s.change_%(model_name)s"]}

    def get_queryset(self):
        return selectors.campaign_list(search=self.search_term())

    def service_create(self, data):
        return services.campaign_create(user=self.request.user, **data)

    def service_update(self, instance, data):
        return services.campaign_update(campaign=instance, **data)

    @extend_schema(request=None, responses=s.CampaignSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        """E-mail the segment's contacts with marketing consent; once only (else 409)."""
        campaign = services.campaign_send(campaign=self.get_object())
        return Response(self.get_serializer(campaign).data)


# ---------------------------------------------------------------- web-to-lead


FORM_KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The web lead form's key."
)


class WebLeadView(APIView):
    """Public web-to-lead endpoint a company's website posts its contact form to.

    No credentials: the form's key, its origin allow-list, a per-address rate limit and a
    honeypot field (`hp_website`, which people leave empty) keep abuse out. Accepted
    submissions become leads with source `web`. The answer is the same whether or not the
    honeypot caught the submission, so robots learn nothing from it.
    """

    authentication_classes: ClassVar = []  # hence no CSRF check either: no session is used
    permission_classes: ClassVar = [permissions.AllowAny]
    throttle_classes: ClassVar = [WebLeadRateThrottle]
    form: WebLeadForm | None = None

    @extend_schema(
        request=s.WebLeadSerializer,
        responses={202: s.WebLeadReceivedSerializer},
        parameters=[FORM_KEY],
        auth=[],
        operation_id="crm_web_leads_create",
    )
    def post(self, request: Request, key: str) -> Response:
        self.form = get_object_or_404(WebLeadForm.objects.filter(active=True), key=key)
        data = validated(s.WebLeadSerializer, request.data)
        # The service refuses an origin off the allow-list (403 `origin_not_allowed`) and
        # quietly drops a submission whose honeypot is filled in.
        services.web_lead_submit(form=self.form, data=data, origin=request.headers.get("Origin"))
        return Response(
            {"status": "received", "detail": "Thank you: we will be in touch."},
            status=status.HTTP_202_ACCEPTED,
        )

    def options(self, request: Request, *args, **kwargs) -> Response:
        # The CORS pre-flight of a fetch() with a JSON body.
        response = super().options(request, *args, **kwargs)
        self.form = WebLeadForm.objects.filter(key=kwargs.get("key", ""), active=True).first()
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type, Idempotency-Key"
        response["Access-Control-Max-Age"] = "86400"
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        # Let the page of an allowed origin read the answer, errors included.
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = request.headers.get("Origin", "")
        if self.form is not None and origin:
            allowed = {str(o).rstrip("/").lower() for o in self.form.allowed_origins or []}
            if origin.rstrip("/").lower() in allowed:
                response["Access-Control-Allow-Origin"] = origin
                patch_vary_headers(response, ["Origin"])
        return response
