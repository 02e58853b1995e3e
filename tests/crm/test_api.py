"""The CRM REST API: the integrator's shortest path, CRUD, actions, roles, bad input, pages."""

import json
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm import selectors, services
from crm.api import serializers as s
from crm.models import (
    Account,
    Activity,
    Campaign,
    CampaignMember,
    Contact,
    Lead,
    Opportunity,
    Pipeline,
    Segment,
    Stage,
    WebLeadForm,
)
from integration.services import api_token_create

pytestmark = pytest.mark.django_db

API = "/api/v1/crm/"


def bearer(user, scopes=("crm:write",)) -> APIClient:
    _, raw = api_token_create(user=user, name="t", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture(autouse=True)
def pipeline():
    """The default pipeline (made here if no migration made one)."""
    existing = Pipeline.objects.filter(is_default=True).first()
    if existing is not None and existing.stages.exists():
        return existing
    pipeline = existing or Pipeline.objects.create(name="Sales", is_default=True)
    for position, (name, probability, outcome) in enumerate(
        [
            ("Qualification", 10, "open"),
            ("Proposal", 40, "open"),
            ("Negotiation", 70, "open"),
            ("Won", 100, "won"),
            ("Lost", 0, "lost"),
        ]
    ):
        Stage.objects.create(
            pipeline=pipeline,
            name=name,
            position=position,
            probability=probability,
            outcome=outcome,
        )
    return pipeline


def stage(pipeline, outcome: str, index: int = 0) -> Stage:
    return list(pipeline.stages.filter(outcome=outcome).order_by("position"))[index]


@pytest.fixture
def seller(make_user):
    return make_user(roles=["Sales"])


@pytest.fixture
def marketer(make_user):
    return make_user(roles=["Marketing"])


@pytest.fixture
def sales(seller) -> APIClient:
    return bearer(seller)


@pytest.fixture
def marketing(marketer) -> APIClient:
    return bearer(marketer)


@pytest.fixture
def admin(make_user) -> APIClient:
    return bearer(make_user(roles=["Admin"]), ["*"])


def make_account(name="Acme Oy", **fields) -> Account:
    return services.account_create(name=name, **fields)


def make_opportunity(account, name="Deal", amount="100.00", **fields) -> Opportunity:
    return services.opportunity_create(account=account, name=name, amount=Decimal(amount), **fields)


# ---------------------------------------------------------------- the shortest path


def test_the_shortest_integrator_path_works_exactly_as_documented(make_user, pipeline):
    api = bearer(make_user(roles=["Sales", "Marketing"]))

    account = api.post(f"{API}accounts/", {"name": "Acme Oy"}, format="json")
    assert account.status_code == 201, account.json()
    account_id = account.json()["id"]
    contact = api.post(
        f"{API}contacts/",
        {
            "account": account_id,
            "first_name": "Aino",
            "last_name": "Virtanen",
            "email": "aino@acme.example",
        },
        format="json",
    )
    assert contact.status_code == 201, contact.json()
    opportunity = api.post(
        f"{API}opportunities/",
        {"account": account_id, "name": "Pilot", "amount": "1200.00"},
        format="json",
    )
    assert opportunity.status_code == 201, opportunity.json()
    lead = api.post(
        f"{API}leads/",
        {
            "first_name": "Lea",
            "last_name": "Lead",
            "company": "Leadco",
            "email": "lea@leadco.example",
        },
        format="json",
    )
    assert lead.status_code == 201, lead.json()
    converted = api.post(f"{API}leads/{lead.json()['id']}/convert/")

    assert converted.status_code in (200, 201), converted.json()
    body = opportunity.json()
    assert body["amount"] == "1200.00"
    assert body["currency"] == Account.objects.get(pk=account_id).currency
    assert body["stage"] == pipeline.stages.order_by("position").first().pk
    assert contact.json()["account"] == account_id
    converted_lead = converted.json()
    assert converted_lead["status"] == "converted"
    assert converted_lead["converted_account"] is not None
    assert converted_lead["converted_contact"] is not None
    assert "converted_opportunity" in converted_lead
    assert Account.objects.get(pk=converted_lead["converted_account"]).name == "Leadco"
    assert Contact.objects.get(pk=converted_lead["converted_contact"]).email == (
        "lea@leadco.example"
    )


# ---------------------------------------------------------------- CRUD


def test_accounts_crud_with_etags(sales, seller):
    created = sales.post(
        f"{API}accounts/",
        {"name": "Beta Ab", "website": "https://www.beta.example", "tags": ["vip", "nordic"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert created["Location"].endswith(f"{API}accounts/{body['id']}/")
    assert body["owner"] == seller.pk
    assert sorted(body["tags"]) == ["nordic", "vip"]
    url = f"{API}accounts/{body['id']}/"

    detail = sales.get(url)
    etag = detail["ETag"]
    assert detail.status_code == 200
    assert sales.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    patched = sales.patch(url, {"status": "active"}, format="json", HTTP_IF_MATCH=etag)
    assert patched.status_code == 200, patched.json()
    assert patched.json()["status"] == "active"
    assert patched["ETag"] != etag
    stale = sales.patch(url, {"status": "churned"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    put = sales.put(url, {"name": "Beta AB", "tags": ["vip"]}, format="json")
    assert put.status_code == 200, put.json()
    assert put.json()["name"] == "Beta AB"
    assert put.json()["tags"] == ["vip"]
    assert Account.objects.get(pk=body["id"]).status == "active"

    listing = sales.get(f"{API}accounts/")
    assert listing.status_code == 200
    assert set(listing.json()) == {"next", "previous", "results"}
    assert [a["id"] for a in listing.json()["results"]] == [body["id"]]

    assert sales.delete(url).status_code == 204
    assert not Account.objects.filter(pk=body["id"]).exists()
    assert sales.get(url).status_code == 404


def test_contacts_crud(sales):
    account = make_account()
    created = sales.post(
        f"{API}contacts/",
        {"account": account.pk, "first_name": "Aino", "email": "aino@acme.example"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    url = f"{API}contacts/{created.json()['id']}/"
    patched = sales.patch(url, {"title": "CTO"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["title"] == "CTO"
    assert sales.get(f"{API}contacts/", {"account": account.pk}).json()["count"] == 1
    assert sales.delete(url).status_code == 204
    assert not Contact.objects.exists()


def test_a_second_contact_with_the_same_email_at_the_account_is_a_field_error(sales):
    account = make_account()
    services.contact_create(account=account, first_name="Aino", email="aino@acme.example")

    response = sales.post(
        f"{API}contacts/",
        {"account": account.pk, "first_name": "Other", "email": "AINO@acme.example"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert Contact.objects.count() == 1


def test_leads_crud(marketing, marketer):
    created = marketing.post(
        f"{API}leads/", {"last_name": "Lead", "source": "event", "score": 40}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["owner"] == marketer.pk
    url = f"{API}leads/{created.json()['id']}/"
    assert marketing.patch(url, {"status": "qualified"}, format="json").status_code == 200
    assert marketing.get(f"{API}leads/", {"status": "qualified"}).json()["count"] == 1
    refused = marketing.patch(url, {"status": "converted"}, format="json")
    assert refused.status_code == 400
    assert "status" in refused.json()
    assert marketing.delete(url).status_code == 405  # disqualify instead
    assert Lead.objects.exists()


def test_opportunities_crud_and_move(sales, pipeline):
    account = make_account()
    created = sales.post(
        f"{API}opportunities/",
        {"account": account.pk, "name": "Pilot", "amount": "99.50"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    url = f"{API}opportunities/{created.json()['id']}/"
    assert sales.patch(url, {"amount": "150"}, format="json").json()["amount"] == "150.00"

    moved = sales.post(
        f"{url}move/", {"stage": stage(pipeline, "lost").pk, "lost_reason": "Budget"}, format="json"
    )

    assert moved.status_code == 200, moved.json()
    assert moved.json()["status"] == "lost"
    assert moved.json()["lost_reason"] == "Budget"
    assert sales.get(f"{API}opportunities/", {"status": "lost"}).json()["count"] == 1
    assert sales.delete(url).status_code == 204
    assert not Opportunity.objects.exists()


def test_moving_to_a_stage_that_does_not_exist_is_a_field_error(sales):
    opportunity = make_opportunity(make_account())

    response = sales.post(
        f"{API}opportunities/{opportunity.pk}/move/", {"stage": 999999}, format="json"
    )

    assert response.status_code == 400
    assert "stage" in response.json()


def test_activities_crud_and_complete(sales, seller):
    account = make_account()
    created = sales.post(
        f"{API}activities/",
        {"kind": "call", "subject": "Intro call", "account": account.pk},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["owner"] == seller.pk
    url = f"{API}activities/{created.json()['id']}/"
    assert sales.patch(url, {"notes": "Went well"}, format="json").status_code == 200

    done = sales.post(f"{url}complete/")

    assert done.status_code == 200
    assert done.json()["done"] is True
    assert sales.get(f"{API}activities/", {"done": "true"}).json()["count"] == 1
    assert sales.delete(url).status_code == 204
    assert not Activity.objects.exists()


def test_segments_and_campaigns_crud_members_and_send(marketing, mailoutbox):
    target = make_account("Target Oy", industry="Software")
    make_account("Other Oy", industry="Retail")
    services.contact_create(
        account=target,
        first_name="Aino",
        email="aino@target.example",
        marketing_consent=True,
    )
    segment = marketing.post(
        f"{API}segments/",
        {"name": "Software", "criteria": {"industry": "Software"}},
        format="json",
    )
    assert segment.status_code == 201, segment.json()
    segment_url = f"{API}segments/{segment.json()['id']}/"
    members = marketing.get(f"{segment_url}members/")
    assert members.status_code == 200, members.json()
    assert [a["name"] for a in members.json()["results"]] == ["Target Oy"]

    campaign = marketing.post(
        f"{API}campaigns/",
        {
            "name": "Launch",
            "segment": segment.json()["id"],
            "subject": "Hello",
            "body": "Hi {{ contact.first_name }}",
        },
        format="json",
    )
    assert campaign.status_code == 201, campaign.json()
    campaign_url = f"{API}campaigns/{campaign.json()['id']}/"
    assert marketing.patch(campaign_url, {"subject": "Hello!"}, format="json").status_code == 200
    sent = marketing.post(f"{campaign_url}send/")

    assert sent.status_code == 200, sent.json()
    assert sent.json()["status"] == "sent"
    assert CampaignMember.objects.filter(campaign_id=campaign.json()["id"]).count() == 1
    assert len(mailoutbox) == 1
    again = marketing.post(f"{campaign_url}send/")
    assert again.status_code == 409
    assert again.json()["code"] == "campaign_already_sent"
    in_use = marketing.delete(segment_url)
    assert in_use.status_code == 409
    assert Segment.objects.filter(pk=segment.json()["id"]).exists()


def test_an_unused_segment_can_be_deleted_but_campaigns_stay(marketing):
    segment = marketing.post(f"{API}segments/", {"name": "Empty"}, format="json").json()
    campaign = marketing.post(f"{API}campaigns/", {"name": "Draft"}, format="json").json()

    assert marketing.delete(f"{API}segments/{segment['id']}/").status_code == 204
    assert marketing.delete(f"{API}campaigns/{campaign['id']}/").status_code == 405
    assert not Segment.objects.exists()
    assert Campaign.objects.exists()


# ---------------------------------------------------------------- conversion and merge


def test_converting_a_lead_twice_is_409_already_converted(admin):
    lead = services.lead_create(last_name="Lead", company="Leadco", email="lea@leadco.example")
    url = f"{API}leads/{lead.pk}/convert/"

    first = admin.post(url, {"opportunity_name": "Leadco pilot", "amount": "500.00"}, format="json")
    second = admin.post(url, format="json")

    assert first.status_code == 200, first.json()
    opportunity = Opportunity.objects.get(pk=first.json()["converted_opportunity"])
    assert opportunity.amount == Decimal("500.00")
    assert second.status_code == 409
    assert second.json()["code"] == "already_converted"
    assert Account.objects.count() == 1
    assert Opportunity.objects.count() == 1


def test_converting_a_lead_onto_an_existing_account_attaches_to_it(admin):
    account = make_account("Leadco")
    lead = services.lead_create(last_name="Lead", company="Leadco", email="lea@leadco.example")

    response = admin.post(f"{API}leads/{lead.pk}/convert/", {"account": account.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["converted_account"] == account.pk
    assert Account.objects.count() == 1


def test_merge_folds_the_duplicate_into_the_account(sales):
    into = make_account("Acme Oy")
    duplicate = make_account("ACME Oy.")
    services.contact_create(account=duplicate, first_name="Aino", email="aino@acme.example")
    make_opportunity(duplicate)

    response = sales.post(
        f"{API}accounts/{into.pk}/merge/", {"duplicate": duplicate.pk}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["id"] == into.pk
    assert not Account.objects.filter(pk=duplicate.pk).exists()
    assert Contact.objects.get().account_id == into.pk
    assert Opportunity.objects.get().account_id == into.pk


def test_merging_an_account_into_itself_is_refused(sales):
    account = make_account()

    response = sales.post(
        f"{API}accounts/{account.pk}/merge/", {"duplicate": account.pk}, format="json"
    )

    assert response.status_code == 400
    assert Account.objects.filter(pk=account.pk).exists()


# ---------------------------------------------------------------- rules and permissions


def test_deleting_an_account_with_open_opportunities_is_409(sales):
    account = make_account()
    make_opportunity(account)

    response = sales.delete(f"{API}accounts/{account.pk}/")

    assert response.status_code == 409
    assert response.json()["code"] == "account_has_open_opportunities"
    assert Account.objects.filter(pk=account.pk).exists()


def test_marketing_cannot_create_an_opportunity(marketing):
    account = make_account()

    response = marketing.post(
        f"{API}opportunities/", {"account": account.pk, "name": "Pilot"}, format="json"
    )

    assert response.status_code == 403
    assert not Opportunity.objects.exists()


def test_sales_cannot_create_a_campaign_but_marketing_can(sales, marketing):
    assert sales.post(f"{API}campaigns/", {"name": "X"}, format="json").status_code == 403
    assert marketing.post(f"{API}campaigns/", {"name": "X"}, format="json").status_code == 201


def test_manager_reads_everything_and_writes_nothing(make_user):
    account = make_account()
    lead = services.lead_create(last_name="Lead")
    manager = bearer(make_user(roles=["Manager"]))

    for resource in (
        "accounts",
        "contacts",
        "leads",
        "opportunities",
        "activities",
        "segments",
        "campaigns",
    ):
        assert manager.get(f"{API}{resource}/").status_code == 200, resource
    assert manager.get(f"{API}accounts/{account.pk}/").status_code == 200
    assert manager.post(f"{API}accounts/", {"name": "X"}, format="json").status_code == 403
    assert manager.patch(f"{API}accounts/{account.pk}/", {"name": "Y"}).status_code == 403
    assert manager.delete(f"{API}accounts/{account.pk}/").status_code == 403
    assert manager.post(f"{API}leads/{lead.pk}/convert/").status_code == 403
    assert Account.objects.get().name == account.name


def test_a_read_scoped_token_cannot_post(seller):
    reader = bearer(seller, ["crm:read"])

    assert reader.get(f"{API}accounts/").status_code == 200
    response = reader.post(f"{API}accounts/", {"name": "Acme Oy"}, format="json")

    assert response.status_code == 403
    assert "crm:write" in response.json()["detail"]
    assert not Account.objects.exists()


def test_a_token_without_crm_scope_cannot_read(seller):
    assert bearer(seller, ["sales:write"]).get(f"{API}accounts/").status_code == 403


def test_anonymous_requests_are_refused():
    assert APIClient().get(f"{API}accounts/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("resource", "data", "field"),
    [
        ("accounts", {"name": ""}, "name"),
        ("accounts", {"name": "X", "status": "bogus"}, "status"),
        ("accounts", {"name": "X", "currency": "euro"}, "currency"),
        ("accounts", {"name": "X", "owner": 999999}, "owner"),
        ("contacts", {"first_name": "Aino"}, "account"),
        ("contacts", {"account": 999999, "first_name": "Aino"}, "account"),
        ("opportunities", {"name": "Pilot", "amount": "1200.00"}, "account"),
        ("leads", {"first_name": "No last name"}, "last_name"),
        ("leads", {"last_name": "L", "score": 101}, "score"),
        ("leads", {"last_name": "L", "email": "not an e-mail"}, "email"),
        ("activities", {"kind": "party", "subject": "x"}, "kind"),
        ("segments", {"name": "S", "criteria": {"status": "bogus"}}, "criteria"),
        ("segments", {"name": "S", "criteria": {"bogus": "x"}}, "criteria"),
        ("segments", {"name": "S", "criteria": {"owner": "me"}}, "criteria"),
        ("segments", {"name": "S", "criteria": ["industry"]}, "criteria"),
    ],
)
def test_bad_input_is_400_with_field_errors_and_writes_nothing(admin, resource, data, field):
    counts = [m.objects.count() for m in (Account, Contact, Opportunity, Lead, Activity, Segment)]

    response = admin.post(f"{API}{resource}/", data, format="json")

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid"
    assert body[field]
    assert all(isinstance(message, str) for message in body[field]), body
    assert counts == [
        m.objects.count() for m in (Account, Contact, Opportunity, Lead, Activity, Segment)
    ]


def test_a_bad_amount_is_a_field_error(sales):
    account = make_account()
    for amount in ("-1.00", "12.345", "lots", "1e20"):
        response = sales.post(
            f"{API}opportunities/",
            {"account": account.pk, "name": "Pilot", "amount": amount},
            format="json",
        )
        assert response.status_code == 400, amount
        assert "amount" in response.json()
    assert not Opportunity.objects.exists()


def test_bad_filters_are_400(sales):
    assert sales.get(f"{API}accounts/", {"updated_since": "yesterday"}).status_code == 400
    assert sales.get(f"{API}accounts/", {"status": "bogus"}).status_code == 400
    assert sales.get(f"{API}accounts/", {"page_size": 201}).status_code == 400
    assert sales.get(f"{API}accounts/", {"cursor": "garbage"}).status_code == 400
    assert sales.get(f"{API}accounts/", {"owner": "1.5"}).status_code == 400
    assert sales.get(f"{API}contacts/", {"account": "9" * 30}).status_code == 400
    assert sales.get(f"{API}accounts/", {"search": "a\x00b"}).status_code == 400


def test_an_offset_postgresql_cannot_store_is_compared_in_utc(sales):
    make_account()

    response = sales.get(f"{API}accounts/", {"updated_since": "2000-01-01T00:00:00-18:12"})

    assert response.status_code == 200
    assert response.json()["count"] == 1


# ---------------------------------------------------------------- lists


def test_lists_filter_search_order_and_count_only_when_filtered(sales, seller):
    vip = make_account("Zeta Oy", status="active", tags=["vip"], user=seller)
    make_account("Alpha Oy", status="prospect")
    make_account("Beta Oy", status="active")

    everything = sales.get(f"{API}accounts/", {"ordering": "name"}).json()
    active = sales.get(f"{API}accounts/", {"status": "active"}).json()
    tagged = sales.get(f"{API}accounts/", {"tag": "vip"}).json()
    owned = sales.get(f"{API}accounts/", {"owner": seller.pk}).json()
    searched = sales.get(f"{API}accounts/", {"search": "zeta"}).json()

    assert "count" not in everything
    assert [a["name"] for a in everything["results"]] == ["Alpha Oy", "Beta Oy", "Zeta Oy"]
    assert active["count"] == 2
    assert [a["id"] for a in tagged["results"]] == [vip.pk]
    assert [a["id"] for a in owned["results"]] == [vip.pk]
    assert searched["count"] == 1


def test_cursor_pages_walk_the_whole_list_without_repeats(sales):
    for n in range(7):
        make_account(f"Account {n}")

    seen, url = [], f"{API}accounts/?page_size=3"
    while url:
        page = sales.get(url).json()
        seen += [a["id"] for a in page["results"]]
        url = page["next"]

    assert sorted(seen) == sorted(Account.objects.values_list("pk", flat=True))
    assert len(seen) == 7


def test_updated_since_returns_only_recent_changes(sales):
    old = make_account("Old Oy")
    Account.objects.filter(pk=old.pk).update(updated_at="2020-01-01T00:00:00Z")
    recent = make_account("New Oy")

    response = sales.get(f"{API}accounts/", {"updated_since": "2024-01-01T00:00:00Z"})

    assert [a["id"] for a in response.json()["results"]] == [recent.pk]


def test_the_account_list_answers_exactly_what_the_account_serializer_does(sales, seller):
    parent = make_account("Parent Oy", tags=["vip", "b2b"], user=seller, owner=seller)
    make_account(
        "Child Oy",
        parent=parent,
        status="active",
        kind="person",
        size="10-49",
        website="https://child.example",
        email="info@child.example",
        billing_country="FI",
        tags=["b2b"],
    )
    make_account("Plain Oy")

    listed = sales.get(f"{API}accounts/", {"ordering": "name"}).json()["results"]

    expected = s.AccountSerializer(Account.objects.order_by("name"), many=True).data
    assert listed == json.loads(json.dumps(expected, cls=DjangoJSONEncoder))
    assert [list(row) for row in listed] == [list(row) for row in expected]


def test_the_account_list_counts_on_the_first_page_only(sales):
    for n in range(3):
        make_account(f"Account {n}", status="active")

    first = sales.get(f"{API}accounts/", {"status": "active", "page_size": 2}).json()
    second = sales.get(first["next"]).json()

    assert first["count"] == 3
    assert "count" not in second
    assert len(second["results"]) == 1


def test_a_broad_search_pages_in_order_without_a_count(sales, monkeypatch):
    monkeypatch.setattr(selectors, "BROAD_SEARCH", 3)
    names = ["Big Data Oy", "Data A Oy", "Data B Oy", "Nordic Data Ab"]
    for name in names:
        make_account(name, status="active")
    plain = make_account("Plain Oy")
    services.contact_create(account=plain, first_name="Ann", email="ann@datahouse.example")
    make_account("Other Oy")

    seen, url = [], f"{API}accounts/?search=data&page_size=2&ordering=name"
    first = sales.get(url).json()
    while url:
        page = sales.get(url).json()
        seen += [a["name"] for a in page["results"]]
        url = page["next"]
    active = sales.get(f"{API}accounts/", {"search": "data", "status": "active"}).json()
    newest = sales.get(f"{API}accounts/", {"search": "data", "page_size": 2}).json()
    narrow = sales.get(f"{API}accounts/", {"search": "nordic"}).json()

    assert first["count"] is None  # more than BROAD_SEARCH: not counted
    assert seen == sorted([*names, "Plain Oy"])
    assert active["count"] is None
    assert sorted(a["name"] for a in active["results"]) == names
    assert [a["id"] for a in newest["results"]] == [plain.pk, plain.pk - 1]  # by -id
    assert narrow["count"] == 1


def test_a_broad_search_pages_both_ways_when_its_matches_cluster(sales, monkeypatch):
    """Each page walks a few accounts, then sorts the matches after them (the "Nordic …"
    names sit far after the "Alpha …" ones): following `next`, then `previous`, gives
    every match once, in order."""
    monkeypatch.setattr(selectors, "BROAD_SEARCH", 2)
    monkeypatch.setitem(selectors.WALK_ROWS_PER_MATCH, "name", 3)
    Account.objects.bulk_create(
        Account(name=f"Alpha {i:03d} Oy", normalized_name=f"alpha {i}") for i in range(60)
    )
    names = [f"Nordic {i} Ab" for i in range(7)]
    for name in names:
        make_account(name)
    holding = make_account("Nord Holding")
    services.contact_create(account=holding, first_name="Ann", email="ann@nordicmail.example")
    expected = sorted([*names, "Nord Holding"])

    for ordering, order in (("name", expected), ("-name", expected[::-1])):
        pages, url = [], f"{API}accounts/?search=nordic&page_size=3&ordering={ordering}"
        while url:
            pages.append(sales.get(url).json())
            url = pages[-1]["next"]
        back, url = [], pages[-1]["previous"]
        while url:
            back.insert(0, sales.get(url).json())
            url = back[0]["previous"]

        assert [a["name"] for page in pages for a in page["results"]] == order
        assert [[a["name"] for a in p["results"]] for p in back] == [
            [a["name"] for a in p["results"]] for p in pages[:-1]
        ]


@pytest.mark.parametrize(
    "ordering", ["id", "-id", "name", "-name", "created_at", "-updated_at", "name,-updated_at"]
)
def test_a_broad_search_pages_in_every_order_the_api_offers(sales, monkeypatch, ordering):
    monkeypatch.setattr(selectors, "BROAD_SEARCH", 2)
    monkeypatch.setattr(selectors, "WALK_ROWS_PER_MATCH", dict.fromkeys(["name", "id"], 2))
    Account.objects.bulk_create(
        Account(name=f"Alpha {i:02d} Oy", normalized_name=f"alpha {i}") for i in range(20)
    )
    for n in range(5):
        make_account(f"Nordic {n} Ab")
        make_account(f"Nordic {n} Ab")  # the same name twice: ties in name order
    keys = [key.strip() for key in ordering.split(",")]
    expected = list(
        Account.objects.filter(name__startswith="Nordic")
        .order_by(*keys, "-id" if keys[0].startswith("-") else "id")
        .values_list("pk", flat=True)
    )

    seen, url = [], f"{API}accounts/?search=nordic&page_size=3&ordering={ordering}"
    while url:
        response = sales.get(url)
        assert response.status_code == 200, response.content
        seen += [a["id"] for a in response.json()["results"]]
        url = response.json()["next"]

    # Every match once, in order: ties in name come by id (the pagination's tiebreak).
    assert seen == expected


def test_a_broad_search_costs_the_same_queries_at_any_page_size(admin, monkeypatch):
    monkeypatch.setattr(selectors, "BROAD_SEARCH", 3)
    for n in range(12):
        make_account(f"Data {n} Oy", tags=["a", "b"])
    # The token's first use is recorded once, and the first search learns that the term
    # is broad (remembered, see BROAD_SEARCH_SECONDS): neither is counted.
    admin.get(f"{API}accounts/", {"search": "data"})

    counts = []
    for page_size in (2, 12):
        with CaptureQueriesContext(connection) as queries:
            response = admin.get(f"{API}accounts/", {"page_size": page_size, "search": "data"})
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size
        counts.append(len(queries))

    # The token, the contacts' probe, where the walk ends, the walked ids, the page's rows
    # and their tags.
    assert counts[0] == counts[1] <= 6, counts


def _seed_lists(count: int, pipeline) -> None:
    campaign = services.campaign_create(name="Seed")
    segment = services.segment_create(name="Seed")
    for n in range(count):
        account = make_account(f"Account {n}", tags=["a", "b"], owner=None)
        contact = services.contact_create(account=account, first_name=f"C{n}")
        opportunity = make_opportunity(account, contact=contact, source_campaign=campaign)
        services.activity_log(
            subject=f"Call {n}",
            kind="call",
            account=account,
            contact=contact,
            opportunity=opportunity,
        )
        services.lead_create(last_name=f"Lead {n}", campaign=campaign)
    assert segment.pk


@pytest.mark.parametrize(
    "resource",
    ["accounts", "contacts", "leads", "opportunities", "activities", "campaigns", "segments"],
)
def test_list_query_count_does_not_grow_with_the_page_size(admin, pipeline, resource):
    _seed_lists(12, pipeline)
    admin.get(f"{API}{resource}/")  # the token's first use is recorded once: not counted

    counts = []
    for page_size in (2, 12):
        for params in ({}, {"search": "a"}):
            with CaptureQueriesContext(connection) as queries:
                response = admin.get(f"{API}{resource}/", {"page_size": page_size, **params})
            assert response.status_code == 200
            counts.append(len(queries))

    assert counts[0] == counts[2], counts
    assert counts[1] == counts[3], counts
    assert max(counts) <= 8, counts


def test_segment_members_query_count_does_not_grow_with_the_page_size(admin, pipeline):
    _seed_lists(12, pipeline)
    segment = services.segment_create(name="All")
    admin.get(f"{API}segments/")  # the token's first use is recorded once: not counted

    counts = []
    for page_size in (2, 12):
        with CaptureQueriesContext(connection) as queries:
            response = admin.get(f"{API}segments/{segment.pk}/members/", {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size
        counts.append(len(queries))

    assert counts[0] == counts[1], counts


# ---------------------------------------------------------------- idempotency


def test_an_idempotency_key_replays_the_create_without_creating_twice(sales):
    first = sales.post(
        f"{API}accounts/", {"name": "Acme Oy"}, format="json", HTTP_IDEMPOTENCY_KEY="acme-1"
    )
    second = sales.post(
        f"{API}accounts/", {"name": "Acme Oy"}, format="json", HTTP_IDEMPOTENCY_KEY="acme-1"
    )

    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert Account.objects.count() == 1


# ---------------------------------------------------------------- web-to-lead


@pytest.fixture
def web_form():
    return WebLeadForm.objects.create(name="Site", allowed_origins=["https://www.acme.example"])


def web_lead(form, origin="https://www.acme.example", **data):
    body = {"first_name": "Web", "last_name": "Visitor", "email": "visitor@example.com", **data}
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return APIClient().post(f"{API}web-leads/{form.key}/", body, format="json", **headers)


def test_a_web_lead_from_an_allowed_origin_becomes_a_web_lead(web_form):
    response = web_lead(web_form, company="Visitor Co")

    assert response.status_code == 202, response.json()
    assert response["Access-Control-Allow-Origin"] == "https://www.acme.example"
    lead = Lead.objects.get()
    assert lead.source == "web"
    assert lead.company == "Visitor Co"


def test_a_web_lead_form_posted_as_a_plain_html_form_works(web_form):
    response = APIClient().post(
        f"{API}web-leads/{web_form.key}/",
        {"last_name": "Visitor", "email": "visitor@example.com"},
        format="multipart",
        HTTP_ORIGIN="https://www.acme.example",
    )

    assert response.status_code == 202
    assert Lead.objects.count() == 1


def test_a_filled_honeypot_looks_accepted_but_creates_nothing(web_form):
    response = web_lead(web_form, hp_website="http://spam.example")

    assert response.status_code == 202
    assert response.json() == web_lead(web_form).json()
    assert Lead.objects.count() == 1  # the second, honest one


def test_a_web_lead_from_another_origin_is_refused(web_form):
    response = web_lead(web_form, origin="https://evil.example")

    assert response.status_code == 403
    assert response.json()["code"] == "origin_not_allowed"
    assert not Lead.objects.exists()


def test_unknown_or_inactive_forms_are_404(web_form):
    inactive = WebLeadForm.objects.create(name="Old", active=False)
    missing = APIClient().post(f"{API}web-leads/nope/", {"last_name": "X"}, format="json")

    assert missing.status_code == 404
    assert web_lead(inactive, origin=None).status_code == 404
    assert not Lead.objects.exists()


def test_web_leads_are_rate_limited_per_address(web_form, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "web_leads": "3/min",
        },
    }

    answers = [web_lead(web_form, email=f"v{n}@example.com").status_code for n in range(4)]

    assert answers == [202, 202, 202, 429]
    assert Lead.objects.count() == 3


def test_web_lead_rate_limit_defaults_to_ten_a_minute(web_form):
    answers = [web_lead(web_form, email=f"v{n}@example.com").status_code for n in range(11)]

    assert answers[:10] == [202] * 10
    assert answers[10] == 429


def test_web_lead_cors_preflight_names_the_allowed_origin(web_form):
    response = APIClient().options(
        f"{API}web-leads/{web_form.key}/",
        HTTP_ORIGIN="https://www.acme.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://www.acme.example"
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_bad_web_lead_input_is_400(web_form):
    response = web_lead(web_form, last_name="", email="nope")

    assert response.status_code == 400
    assert {"last_name", "email"} <= set(response.json())
    assert not Lead.objects.exists()


def test_create_can_refuse_a_likely_duplicate_account(sales):
    existing = make_account("Acme Oy", website="https://acme.example")

    refused = sales.post(
        f"{API}accounts/?check_duplicates=true",
        {"name": "ACME oy.", "website": "https://www.acme.example/about"},
        format="json",
    )
    created = sales.post(f"{API}accounts/", {"name": "ACME oy."}, format="json")

    assert refused.status_code == 409
    assert refused.json()["code"] == "duplicate_account"
    assert refused.json()["duplicates"] == [{"id": existing.pk, "name": "Acme Oy"}]
    assert created.status_code == 201


def test_sales_converts_leads_but_marketing_who_makes_them_cannot(sales, marketing):
    lead = services.lead_create(last_name="Lead", company="Leadco")

    refused = marketing.post(f"{API}leads/{lead.pk}/convert/")
    converted = sales.post(f"{API}leads/{lead.pk}/convert/")

    assert refused.status_code == 403
    assert converted.status_code == 200
    assert converted.json()["status"] == "converted"


def test_times_are_answered_in_utc_even_before_zones_had_whole_minute_offsets(sales):
    response = sales.post(
        f"{API}activities/",
        {"subject": "Old", "due_at": "0290-01-04T23:29:41Z"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["due_at"] == "0290-01-04T23:29:41Z"
    assert response.json()["created_at"].endswith("Z")
