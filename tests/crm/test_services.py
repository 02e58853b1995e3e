"""CRM services against PostgreSQL: state, validation, domain errors and the events they publish."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm import selectors, services
from crm.errors import (
    AccountHasOpenOpportunities,
    AlreadyConverted,
    CampaignAlreadySent,
    CannotMergeIntoItself,
    DuplicateAccount,
    InvalidStage,
    OriginNotAllowed,
)
from crm.models import Account, Activity, CampaignMember, Contact, Lead, Opportunity, Tag
from integration.models import Event
from tests.factories.crm import (
    AccountFactory,
    ActivityFactory,
    CampaignFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    SegmentFactory,
    StageFactory,
    WebLeadFormFactory,
    default_stage,
)

pytestmark = pytest.mark.django_db


def types(events):
    return [e.type for e in events]


# ---------------------------------------------------------------- accounts


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Acme Oy", "acme"),
        ("ACME, Inc.", "acme"),
        ("Acme Ltd.", "acme"),
        ("Oy Karl Fazer Ab", "karl fazer"),
        ("Müller GmbH", "müller"),
        ("A.B.C. Widgets LLC", "abc widgets"),
        ("Oy", "oy"),
    ],
)
def test_normalize_name_drops_case_punctuation_and_legal_suffixes(name, normalized):
    assert services.normalize_name(name) == normalized


def test_domain_comes_from_website_else_from_a_company_email():
    assert services.domain_of(website="https://www.Acme.example:8443/about") == "acme.example"
    assert services.domain_of(website="acme.example") == "acme.example"
    assert services.domain_of(email="sales@acme.example") == "acme.example"
    assert services.domain_of(email="someone@gmail.com") == ""


def test_account_create_publishes_created_with_its_state(sales_user, new_events):
    account = services.account_create(
        name=" Acme Oy ",
        user=sales_user,
        website="https://www.acme.example",
        billing_country="FI",
        tags=["VIP", "vip", "Nordics"],
    )

    account.refresh_from_db()
    assert account.name == "Acme Oy"
    assert account.normalized_name == "acme"
    assert account.domain == "acme.example"
    assert account.owner == sales_user
    assert account.version == 1
    [event] = new_events()
    assert event.type == "crm.account.created"
    assert event.customer_id == account.pk
    assert (event.subject_type, event.subject_id, event.subject_version) == (
        "crm.account",
        str(account.pk),
        1,
    )
    assert event.data["name"] == "Acme Oy"
    assert event.data["owner_id"] == sales_user.pk
    assert event.data["country"] == "FI"
    assert event.data["tags"] == ["Nordics", "VIP"]


def test_account_create_reuses_existing_tags_case_insensitively():
    Tag.objects.create(name="VIP")
    account = services.account_create(name="Acme", tags=["vip"])
    assert list(account.tags.values_list("name", flat=True)) == ["VIP"]
    assert Tag.objects.count() == 1


def test_account_create_with_invalid_input_writes_nothing(new_events):
    with pytest.raises(ValidationError) as info:
        services.account_create(name="  ", status="bogus", website="not a url")

    assert set(info.value.message_dict) == {"name", "status", "website"}
    assert not Account.objects.exists()
    assert new_events() == []


def test_account_create_with_unknown_field_is_a_programming_error():
    with pytest.raises(TypeError):
        services.account_create(name="Acme", version=7)


def test_account_create_checks_duplicates_only_when_asked():
    existing = services.account_create(name="Acme Oy", website="https://acme.example")

    with pytest.raises(DuplicateAccount) as info:
        services.account_create(name="ACME Ltd", check_duplicates=True)
    assert info.value.code == "duplicate_account"
    assert info.value.extra["duplicates"] == [{"id": existing.pk, "name": "Acme Oy"}]
    with pytest.raises(DuplicateAccount):
        services.account_create(name="Other", email="x@acme.example", check_duplicates=True)

    services.account_create(name="ACME Ltd")  # the caller chose to create it anyway
    assert Account.objects.count() == 2


def test_account_duplicates_match_normalised_name_or_domain():
    acme = AccountFactory(name="Acme Oy", website="https://www.acme.example")
    AccountFactory(name="Other")
    assert list(selectors.account_duplicates(name="ACME AB")) == [acme]
    assert list(selectors.account_duplicates(name="x", website="http://acme.example")) == [acme]
    assert list(selectors.account_duplicates(name="Acme", exclude_id=acme.pk)) == []


def test_account_update_bumps_version_recomputes_and_publishes(new_events):
    account = services.account_create(name="Acme Oy", tags=["a"])

    updated = services.account_update(
        account=account, name="Acme Group Oy", website="https://acme.example", tags=["b"]
    )

    assert updated is account
    account.refresh_from_db()
    assert account.version == 2
    assert account.normalized_name == "acme group"
    assert account.domain == "acme.example"
    _created, event = new_events()
    assert event.type == "crm.account.updated"
    assert event.subject_version == 2
    assert event.customer_id == account.pk
    assert event.data["name"] == "Acme Group Oy"
    assert event.data["tags"] == ["b"]


def test_account_update_without_a_change_publishes_nothing(new_events):
    account = services.account_create(name="Acme", industry="Retail", tags=["a"])
    services.account_update(account=account, name="Acme", industry="Retail", tags=["A"])
    assert types(new_events()) == ["crm.account.created"]
    account.refresh_from_db()
    assert account.version == 1


def test_account_update_with_invalid_input_changes_nothing(new_events):
    account = services.account_create(name="Acme")

    with pytest.raises(ValidationError) as info:
        services.account_update(account=account, name="", status="gone")

    assert set(info.value.message_dict) == {"name", "status"}
    assert account.name == "Acme"  # the caller's copy is restored too
    account.refresh_from_db()
    assert (account.name, account.status, account.version) == ("Acme", "prospect", 1)
    assert types(new_events()) == ["crm.account.created"]


def test_account_cannot_become_its_own_ancestor():
    parent = services.account_create(name="Parent")
    child = services.account_create(name="Child", parent=parent)
    with pytest.raises(ValidationError) as info:
        services.account_update(account=parent, parent=child)
    assert "parent" in info.value.message_dict


def test_account_delete_is_refused_while_opportunities_are_open(new_events):
    account = services.account_create(name="Acme")
    services.opportunity_create(account=account, name="Pilot", amount=Decimal("10"))
    before = len(new_events())

    with pytest.raises(AccountHasOpenOpportunities) as info:
        services.account_delete(account=account)

    assert info.value.code == "account_has_open_opportunities"
    assert info.value.status_code == 409
    assert Account.objects.filter(pk=account.pk).exists()
    assert Opportunity.objects.filter(account=account).count() == 1
    assert len(new_events()) == before


def test_account_delete_publishes_deleted_and_frees_children(new_events):
    account = services.account_create(name="Acme")
    child = services.account_create(name="Acme Sweden", parent=account)
    won = services.opportunity_create(account=account, name="Old deal")
    services.opportunity_move(opportunity=won, stage=default_stage("Won"))
    services.contact_create(account=account, first_name="Aino")

    services.account_delete(account=account)

    assert not Account.objects.filter(pk=account.pk).exists()
    assert not Contact.objects.filter(account_id=account.pk).exists()
    child.refresh_from_db()
    assert child.parent_id is None
    events = new_events()
    assert types(events)[-2:] == ["crm.account.updated", "crm.account.deleted"]
    assert events[-2].customer_id == child.pk
    assert events[-2].data["parent_id"] is None
    deleted = events[-1]
    assert deleted.customer_id == account.pk
    assert deleted.data == {"id": account.pk, "account_id": account.pk, "name": "Acme"}
    assert deleted.subject_version == 2


def test_account_merge_moves_everything_and_publishes(sales_user, new_events):
    # Given a survivor and a duplicate with contacts (one sharing an e-mail), deals,
    # activities, a child account, tags and a converted lead
    into = services.account_create(name="Acme Oy", tags=["vip"])
    same_person = services.contact_create(account=into, first_name="Aino", email="aino@acme.ex")
    duplicate = services.account_create(
        name="ACME Ltd", tags=["nordics"], phone="+358 1", owner=sales_user
    )
    twin = services.contact_create(account=duplicate, first_name="Aino", email="AINO@acme.ex")
    bob = services.contact_create(account=duplicate, first_name="Bob", email="bob@acme.ex")
    deal = services.opportunity_create(account=duplicate, name="Deal", contact=twin)
    call = services.activity_log(subject="Call", kind="call", contact=twin)
    note = services.activity_log(subject="Note", kind="note", account=duplicate)
    child = services.account_create(name="Acme Kid", parent=duplicate)
    lead = services.lead_convert(
        lead=services.lead_create(last_name="L", email="l@acme.ex"), account=duplicate
    )
    start = len(new_events())

    # When it is merged
    result = services.account_merge(into=into, duplicate=duplicate)

    # Then everything is on the survivor and the duplicate is gone
    assert result.pk == into.pk
    assert not Account.objects.filter(pk=duplicate.pk).exists()
    assert not Contact.objects.filter(pk=twin.pk).exists()
    assert set(into.contacts.values_list("pk", flat=True)) == {
        same_person.pk,
        bob.pk,
        lead.converted_contact_id,
    }
    deal.refresh_from_db()
    assert (deal.account_id, deal.contact_id) == (into.pk, same_person.pk)
    call.refresh_from_db()
    assert (call.account_id, call.contact_id) == (into.pk, same_person.pk)
    note.refresh_from_db()
    assert note.account_id == into.pk
    child.refresh_from_db()
    assert child.parent_id == into.pk
    lead.refresh_from_db()
    assert lead.converted_account_id == into.pk
    into.refresh_from_db()
    assert sorted(into.tags.values_list("name", flat=True)) == ["nordics", "vip"]
    assert into.phone == "+358 1"  # blanks filled from the duplicate
    assert into.owner == sales_user

    # And each move was published, the merge last, all about the survivor but the fold
    events = new_events()[start:]
    by_type = {}
    for event in events:
        by_type.setdefault(event.type, []).append(event)
    assert [e.data["id"] for e in by_type["crm.contact.deleted"]] == [twin.pk]
    moved_contacts = {e.data["id"] for e in by_type["crm.contact.updated"]}
    assert bob.pk in moved_contacts
    assert all(e.data["account_id"] == into.pk for e in by_type["crm.contact.updated"])
    assert [e.data["id"] for e in by_type["crm.opportunity.updated"]] == [deal.pk]
    assert {e.data["id"] for e in by_type["crm.activity.updated"]} == {call.pk, note.pk}
    assert [e.data["id"] for e in by_type["crm.lead.updated"]] == [lead.pk]
    assert events[-1].type == "crm.account.merged"
    merged = events[-1]
    assert merged.customer_id == into.pk
    assert merged.subject_id == str(into.pk)
    assert merged.subject_version == into.version
    assert merged.data == {
        "id": into.pk,
        "merged_id": duplicate.pk,
        "merged_name": "ACME Ltd",
        "contacts_moved": 3,
        "opportunities_moved": 1,
        "activities_moved": 2,
    }
    others = [e for e in events if e.type != "crm.contact.deleted"]
    assert {e.customer_id for e in others} == {into.pk, child.pk}


def test_account_merge_into_itself_is_refused():
    account = AccountFactory()
    with pytest.raises(CannotMergeIntoItself):
        services.account_merge(into=account, duplicate=account)


def test_account_merge_of_the_survivors_parent_keeps_the_hierarchy_acyclic():
    grand = AccountFactory()
    duplicate = AccountFactory(parent=grand)
    into = AccountFactory(parent=duplicate)
    services.account_merge(into=into, duplicate=duplicate)
    into.refresh_from_db()
    assert into.parent_id == grand.pk


# ---------------------------------------------------------------- contacts


def test_contact_create_publishes_for_its_account_and_stamps_consent(new_events):
    account = AccountFactory()
    contact = services.contact_create(
        account=account,
        first_name="Aino",
        last_name="Virtanen",
        email=" aino@acme.ex ",
        marketing_consent=True,
        consent_source="web form",
    )
    assert contact.email == "aino@acme.ex"
    assert contact.consent_at is not None
    [event] = new_events()
    assert event.type == "crm.contact.created"
    assert event.customer_id == account.pk
    assert event.data["marketing_consent"] is True
    assert event.data["account_id"] == account.pk


def test_contact_email_is_unique_per_account_case_insensitively(new_events):
    account = AccountFactory()
    services.contact_create(account=account, first_name="A", email="a@x.example")
    with pytest.raises(ValidationError) as info:
        services.contact_create(account=account, first_name="B", email="A@X.example")
    assert "email" in info.value.message_dict
    services.contact_create(account=AccountFactory(), first_name="B", email="a@x.example")
    services.contact_create(account=account, first_name="No mail")
    services.contact_create(account=account, first_name="No mail either")
    assert len(new_events()) == 4


def test_contact_update_to_another_account_publishes_for_the_new_one(new_events):
    contact = ContactFactory()
    other = AccountFactory()
    services.contact_update(contact=contact, account=other, marketing_consent=True)
    [event] = new_events()
    assert event.type == "crm.contact.updated"
    assert event.customer_id == other.pk
    assert event.subject_version == 2
    contact.refresh_from_db()
    assert contact.consent_at is not None
    services.contact_update(contact=contact, marketing_consent=False)
    contact.refresh_from_db()
    assert contact.consent_at is None


def test_contact_update_with_a_taken_email_changes_nothing(new_events):
    account = AccountFactory()
    ContactFactory(account=account, email="taken@x.example")
    contact = ContactFactory(account=account, email="mine@x.example")
    with pytest.raises(ValidationError):
        services.contact_update(contact=contact, email="taken@x.example")
    assert contact.email == "mine@x.example"
    assert Contact.objects.get(pk=contact.pk).email == "mine@x.example"
    assert new_events() == []


def test_contact_delete_publishes_deleted(new_events):
    contact = ContactFactory(first_name="Aino", last_name="V")
    services.contact_delete(contact=contact)
    [event] = new_events()
    assert event.type == "crm.contact.deleted"
    assert event.customer_id == contact.account_id
    assert event.data["name"] == "Aino V"


# ---------------------------------------------------------------- opportunities


def test_opportunity_create_defaults_to_first_stage_and_account_currency(sales_user, new_events):
    account = AccountFactory(currency="SEK")
    opportunity = services.opportunity_create(
        account=account, name="Pilot", amount="1200.00", user=sales_user
    )
    opportunity.refresh_from_db()
    assert opportunity.stage == default_stage("Qualification")
    assert (opportunity.currency, opportunity.probability, opportunity.status) == (
        "SEK",
        10,
        "open",
    )
    assert opportunity.owner == sales_user
    [event] = new_events()
    assert event.type == "crm.opportunity.created"
    assert event.customer_id == account.pk
    assert event.data["amount"] == "1200.00"
    assert event.data["stage"] == "Qualification"
    assert event.data["probability"] == 10


def test_opportunity_create_rejects_a_negative_amount(new_events):
    with pytest.raises(ValidationError):
        services.opportunity_create(account=AccountFactory(), name="X", amount=Decimal("-1"))
    assert not Opportunity.objects.exists()
    assert new_events() == []


def test_opportunity_move_to_won_closes_it(new_events):
    opportunity = OpportunityFactory()
    moved = services.opportunity_move(opportunity=opportunity, stage=default_stage("Won"))
    assert moved.status == "won"
    assert moved.probability == 100
    assert moved.closed_at is not None
    [event] = new_events()
    assert event.type == "crm.opportunity.won"
    assert event.data["status"] == "won"
    assert event.customer_id == opportunity.account_id
    assert event.subject_version == 2


def test_opportunity_move_to_lost_records_the_reason_and_reopening_clears_it(new_events):
    opportunity = OpportunityFactory()
    services.opportunity_move(
        opportunity=opportunity, stage=default_stage("Lost"), lost_reason="Price"
    )
    opportunity.refresh_from_db()
    assert (opportunity.status, opportunity.lost_reason, opportunity.probability) == (
        "lost",
        "Price",
        0,
    )
    services.opportunity_move(opportunity=opportunity, stage=default_stage("Proposal").pk)
    opportunity.refresh_from_db()
    assert (opportunity.status, opportunity.lost_reason, opportunity.closed_at) == (
        "open",
        "",
        None,
    )
    assert opportunity.probability == 40
    assert types(new_events()) == ["crm.opportunity.lost", "crm.opportunity.stage_changed"]


def test_opportunity_move_to_the_same_stage_publishes_nothing(new_events):
    opportunity = OpportunityFactory()
    services.opportunity_move(opportunity=opportunity, stage=opportunity.stage)
    assert new_events() == []


def test_opportunity_move_to_another_pipelines_stage_is_refused(new_events):
    opportunity = OpportunityFactory()
    with pytest.raises(InvalidStage):
        services.opportunity_move(opportunity=opportunity, stage=StageFactory())
    opportunity.refresh_from_db()
    assert opportunity.stage == default_stage()
    assert new_events() == []


def test_opportunity_update_publishes_updated_or_a_move(new_events):
    opportunity = OpportunityFactory()
    services.opportunity_update(opportunity=opportunity, amount=Decimal("5.50"))
    services.opportunity_update(opportunity=opportunity, stage=default_stage("Negotiation"))
    events = new_events()
    assert types(events) == ["crm.opportunity.updated", "crm.opportunity.stage_changed"]
    assert events[0].data["amount"] == "5.50"
    assert events[1].data["probability"] == 70
    with pytest.raises(TypeError):
        services.opportunity_update(opportunity=opportunity, status="won")


def test_opportunity_contact_must_belong_to_its_account():
    with pytest.raises(ValidationError) as info:
        services.opportunity_create(account=AccountFactory(), name="X", contact=ContactFactory())
    assert "contact" in info.value.message_dict


def test_opportunity_delete_publishes_deleted(new_events):
    opportunity = OpportunityFactory(name="Pilot")
    services.opportunity_delete(opportunity=opportunity)
    [event] = new_events()
    assert (event.type, event.customer_id) == ("crm.opportunity.deleted", opportunity.account_id)


# ---------------------------------------------------------------- activities


def test_activity_log_takes_the_account_from_the_contact(sales_user, new_events):
    contact = ContactFactory()
    activity = services.activity_log(subject="Call", kind="call", contact=contact, user=sales_user)
    assert activity.account_id == contact.account_id
    assert activity.owner == sales_user
    [event] = new_events()
    assert event.type == "crm.activity.logged"
    assert event.customer_id == contact.account_id
    assert event.data["contact_id"] == contact.pk


def test_activity_log_refuses_links_to_different_accounts(new_events):
    with pytest.raises(ValidationError) as info:
        services.activity_log(
            subject="Call", kind="call", account=AccountFactory(), contact=ContactFactory()
        )
    assert "contact" in info.value.message_dict
    assert not Activity.objects.exists()
    assert new_events() == []


def test_activity_complete_publishes_completed_once(new_events):
    activity = ActivityFactory()
    services.activity_complete(activity=activity)
    services.activity_complete(activity=activity)
    activity.refresh_from_db()
    assert activity.done
    assert activity.done_at is not None
    [event] = new_events()
    assert event.type == "crm.activity.completed"
    assert event.data["done"] is True


def test_activity_update_and_delete_publish(new_events):
    activity = ActivityFactory()
    services.activity_update(activity=activity, subject="New subject")
    services.activity_delete(activity=activity)
    assert types(new_events()) == ["crm.activity.updated", "crm.activity.deleted"]


# ---------------------------------------------------------------- leads


def test_lead_create_publishes_without_a_customer(new_events):
    lead = services.lead_create(last_name="Lead", first_name="Lea", email="lea@leadco.example")
    [event] = new_events()
    assert (event.type, event.customer_id) == ("crm.lead.created", None)
    assert event.data["status"] == "new"
    assert event.data["id"] == lead.pk


def test_lead_status_converted_is_only_set_by_converting():
    lead = LeadFactory()
    with pytest.raises(ValidationError) as info:
        services.lead_update(lead=lead, status="converted")
    assert "status" in info.value.message_dict
    lead.refresh_from_db()
    assert lead.status == "new"


def test_lead_convert_creates_account_and_contact(sales_user, new_events):
    lead = services.lead_create(
        first_name="Lea", last_name="Lead", company="Leadco", email="lea@leadco.example"
    )

    services.lead_convert(lead=lead, user=sales_user)

    lead.refresh_from_db()
    assert lead.status == "converted"
    assert lead.converted_at is not None
    account, contact = lead.converted_account, lead.converted_contact
    assert (account.name, account.kind, account.owner) == ("Leadco", "company", sales_user)
    assert (contact.account, contact.email, contact.full_name) == (
        account,
        "lea@leadco.example",
        "Lea Lead",
    )
    assert lead.converted_opportunity is None
    events = new_events()[1:]
    assert types(events) == ["crm.account.created", "crm.contact.created", "crm.lead.converted"]
    assert events[-1].customer_id == account.pk
    assert events[-1].data["account_id"] == account.pk
    assert events[-1].data["contact_id"] == contact.pk
    assert events[-1].data["status"] == "converted"


def test_lead_convert_with_an_opportunity(new_events):
    campaign = CampaignFactory()
    lead = LeadFactory(company="", first_name="Pat", last_name="Person", campaign=campaign)

    services.lead_convert(lead=lead, opportunity_name="Pilot", amount=Decimal("900"))

    lead.refresh_from_db()
    assert lead.converted_account.kind == "person"
    assert lead.converted_account.name == "Pat Person"
    opportunity = lead.converted_opportunity
    assert (opportunity.name, opportunity.amount) == ("Pilot", Decimal("900.00"))
    assert opportunity.contact == lead.converted_contact
    assert opportunity.source_campaign == campaign
    assert types(new_events()) == [
        "crm.account.created",
        "crm.contact.created",
        "crm.opportunity.created",
        "crm.lead.converted",
    ]


def test_a_converted_lead_cannot_be_converted_again(new_events):
    lead = LeadFactory()
    services.lead_convert(lead=lead)
    before = len(new_events())
    stale = Lead.objects.get(pk=lead.pk)

    with pytest.raises(AlreadyConverted) as info:
        services.lead_convert(lead=stale)

    assert (info.value.code, info.value.status_code) == ("already_converted", 409)
    assert len(new_events()) == before
    assert Account.objects.count() == 1


def test_lead_convert_attaches_to_an_existing_account_and_contact(new_events):
    account = services.account_create(name="Leadco Oy", website="https://leadco.example")
    existing = services.contact_create(
        account=account, first_name="Lea", email="lea@leadco.example"
    )
    lead = LeadFactory(company="Leadco", email="LEA@leadco.example")
    start = len(new_events())

    matches = selectors.conversion_matches(lead)
    assert list(matches["accounts"]) == [account]
    assert list(matches["contacts"]) == [existing]

    services.lead_convert(lead=lead, account=account)

    lead.refresh_from_db()
    assert (lead.converted_account, lead.converted_contact) == (account, existing)
    assert Account.objects.count() == 1
    assert types(new_events()[start:]) == ["crm.lead.converted"]


def test_lead_convert_refuses_a_contact_of_another_account():
    with pytest.raises(ValidationError):
        services.lead_convert(
            lead=LeadFactory(), account=AccountFactory(), contact=ContactFactory()
        )
    assert Lead.objects.get().status == "new"


def test_conversion_matches_find_accounts_by_a_contacts_email_domain():
    account = AccountFactory(website="")
    ContactFactory(account=account, email="boss@bigco.example")
    AccountFactory(website="", email="info@gmail.com")
    lead = LeadFactory(company="Something else", email="new@bigco.example")
    assert list(selectors.conversion_matches(lead)["accounts"]) == [account]
    assert list(selectors.conversion_matches(LeadFactory(email="x@gmail.com"))["accounts"]) == []


# ---------------------------------------------------------------- web-to-lead


def test_web_lead_submit_creates_a_web_lead(sales_user, new_events):
    campaign = CampaignFactory()
    form = WebLeadFormFactory(
        allowed_origins=["https://www.example.com"], owner=sales_user, campaign=campaign
    )
    lead = services.web_lead_submit(
        form=form,
        data={
            "first_name": "Web",
            "last_name": "Visitor",
            "email": "v@x.example",
            "message": "Call me",
            "score": 100,
            "status": "converted",
        },
        origin="https://www.example.com/",
    )
    assert (lead.source, lead.status, lead.score) == ("web", "new", 0)
    assert (lead.owner, lead.campaign, lead.message) == (sales_user, campaign, "Call me")
    assert types(new_events()) == ["crm.lead.created"]


def test_web_lead_submit_ignores_a_filled_honeypot(new_events):
    form = WebLeadFormFactory()
    data = {"last_name": "Bot", "email": "bot@x.example", services.WEB_LEAD_HONEYPOT: "http://spam"}
    assert services.web_lead_submit(form=form, data=data, origin=None) is None
    assert not Lead.objects.exists()
    assert new_events() == []


@pytest.mark.parametrize("origin", [None, "https://evil.example", "http://www.example.com"])
def test_web_lead_submit_refuses_origins_off_the_allow_list(origin):
    form = WebLeadFormFactory(allowed_origins=["https://www.example.com"])
    with pytest.raises(OriginNotAllowed) as info:
        services.web_lead_submit(
            form=form, data={"last_name": "X", "email": "x@x.ex"}, origin=origin
        )
    assert (info.value.code, info.value.status_code) == ("origin_not_allowed", 403)
    assert not Lead.objects.exists()


def test_web_lead_submit_validates_the_fields():
    form = WebLeadFormFactory()
    with pytest.raises(ValidationError) as info:
        services.web_lead_submit(form=form, data={"last_name": "X"}, origin=None)
    assert "email" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.web_lead_submit(form=form, data={"email": "not-an-email"}, origin=None)
    assert set(info.value.message_dict) == {"last_name", "email"}
    assert not Lead.objects.exists()


# ---------------------------------------------------------------- marketing


def test_campaign_send_mails_only_consenting_contacts_with_an_email(mailoutbox, new_events):
    target = AccountFactory(industry="Retail", name="Shop Oy")
    yes = ContactFactory(account=target, first_name="Yes", marketing_consent=True)
    ContactFactory(account=target, first_name="No", marketing_consent=False)
    ContactFactory(account=target, first_name="Nomail", email="", marketing_consent=True)
    ContactFactory(account=AccountFactory(industry="Banking"), marketing_consent=True)
    segment = services.segment_create(name="Retail", criteria={"industry": "retail"})
    campaign = services.campaign_create(
        name="Spring",
        segment=segment,
        subject="News for {{ account.name }}",
        body="Hi {{ contact.first_name }} & co",
    )

    services.campaign_send(campaign=campaign)

    assert [(m.to, m.subject, m.body) for m in mailoutbox] == [
        ([yes.email], "News for Shop Oy", "Hi Yes & co")
    ]
    assert list(campaign.members.values_list("contact_id", "status")) == [(yes.pk, "sent")]
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    assert campaign.sent_at is not None
    [event] = new_events()
    assert event.type == "crm.campaign.sent"
    assert event.data == {
        "id": campaign.pk,
        "name": "Spring",
        "segment_id": segment.pk,
        "members": 1,
        "sent": 1,
    }
    with pytest.raises(CampaignAlreadySent):
        services.campaign_send(campaign=campaign)
    assert len(mailoutbox) == 1


def test_campaign_member_mark_records_the_outcome():
    member = CampaignMember.objects.create(
        campaign=CampaignFactory(), contact=ContactFactory(), status="sent"
    )
    services.campaign_member_mark(member=member, status="responded")
    member.refresh_from_db()
    assert member.status == "responded"
    with pytest.raises(ValidationError):
        services.campaign_member_mark(member=member, status="exploded")


def test_campaign_with_a_broken_template_is_refused():
    with pytest.raises(ValidationError) as info:
        services.campaign_create(name="X", body="{% if %}")
    assert "body" in info.value.message_dict


def test_segment_criteria_are_validated():
    with pytest.raises(ValidationError) as info:
        services.segment_create(name="S", criteria={"colour": "red", "status": "nope"})
    assert "criteria" in info.value.message_dict
    segment = services.segment_create(
        name="S", criteria={"status": ["active"], "created_after": "2024-01-01"}
    )
    assert segment.criteria == {"status": ["active"], "created_after": "2024-01-01"}


def test_segment_contacts_follow_the_criteria():
    vip = AccountFactory(tags=["vip"], billing_country="SE")
    AccountFactory(tags=["vip"], billing_country="FI")
    contact = ContactFactory(account=vip)
    segment = SegmentFactory(criteria={"tag": "vip", "country": "se"})
    assert list(selectors.segment_accounts(segment)) == [vip]
    assert list(selectors.segment_contacts(segment)) == [contact]


# ---------------------------------------------------------------- CSV import


def test_account_import_writes_every_row_and_publishes(sales_user, new_events):
    rows = services.read_csv(
        "name;country;tags;owner\nAcme Oy;fi;vip, nordics;sally\nBeta AB;se;;\n"
    )
    result = services.account_import(rows=rows, user=sales_user, dry_run=False)
    assert (result.created, result.errors) == (2, [])
    acme = Account.objects.get(name="Acme Oy")
    assert acme.billing_country == "FI"
    assert acme.owner == sales_user
    assert sorted(acme.tags.values_list("name", flat=True)) == ["nordics", "vip"]
    assert types(new_events()) == ["crm.account.created", "crm.account.created"]


def test_account_import_with_an_invalid_row_writes_nothing(new_events):
    rows = [
        {"name": "Good Oy"},
        {"name": "", "status": "weird"},
        {"name": "Bad owner", "owner": "nobody"},
    ]
    result = services.account_import(rows=rows, dry_run=False)
    assert result.created == 0
    assert [number for number, _ in result.errors] == [2, 3]
    assert set(result.errors[0][1]) == {"name", "status"}
    assert result.errors[1][1] == {"owner": ["No active user 'nobody'."]}
    assert not Account.objects.exists()
    assert new_events() == []


def test_account_import_dry_run_counts_but_writes_nothing(new_events):
    result = services.account_import(rows=[{"name": "A"}, {"name": "B"}], dry_run=True)
    assert (result.created, result.errors, result.dry_run) == (2, [], True)
    assert not Account.objects.exists()
    assert new_events() == []


def test_contact_import_finds_accounts_and_reports_per_row_errors(new_events):
    acme = AccountFactory(name="Acme Oy")
    rows = [
        {"account": "acme oy", "first_name": "Aino", "email": "aino@acme.ex", "consent": "yes"},
        {"account_id": str(acme.pk), "first_name": "Dup", "email": "AINO@acme.ex"},
        {"account": "Nobody", "first_name": "X"},
        {"account": "Acme Oy", "first_name": "Y", "marketing_consent": "perhaps"},
    ]
    result = services.contact_import(rows=rows, dry_run=False)
    assert result.created == 0
    assert [(n, sorted(e)) for n, e in result.errors] == [
        (2, ["email"]),
        (3, ["account"]),
        (4, ["marketing_consent"]),
    ]
    assert not Contact.objects.exists()

    result = services.contact_import(rows=rows[:1], dry_run=False)
    assert result.created == 1
    contact = Contact.objects.get()
    assert contact.marketing_consent
    assert contact.consent_at is not None
    assert types(new_events()) == ["crm.contact.created"]


# ---------------------------------------------------------------- selectors


def test_account_list_searches_contacts_without_duplicate_rows():
    acme = AccountFactory(name="Acme")
    ContactFactory(account=acme, first_name="Aino", last_name="Virtanen", email="a1@acme.ex")
    ContactFactory(account=acme, first_name="Aino", last_name="Virtanen", email="a2@acme.ex")
    AccountFactory(name="Other")
    assert list(selectors.account_list(search="aino virtanen")) == [acme]
    assert list(selectors.account_list(search="A2@ACME")) == [acme]  # an address's start
    assert list(selectors.account_list(search="acm")) == [acme]
    assert list(selectors.account_list(search="a2")) == [acme]  # too short for trigrams


def test_a_search_with_at_matches_the_start_or_the_end_of_email_addresses():
    acme = AccountFactory(name="Acme")
    aino = ContactFactory(account=acme, first_name="Aino", email="Aino.V@Acme.example")
    other = AccountFactory(name="Other")
    ContactFactory(account=other, first_name="Bo", email="bo@other.example")

    assert list(selectors.contact_list(search="aino.v@")) == [aino]
    assert list(selectors.contact_list(search="AINO.V@ACME.EXAMPLE")) == [aino]
    assert list(selectors.contact_list(search="@acme.example")) == [aino]
    assert list(selectors.account_list(search="@ACME.example")) == [acme]
    assert list(selectors.account_list(search="bo@other.example")) == [other]
    # An address is matched from its start or its end, not in its middle.
    assert list(selectors.contact_list(search="v@acme")) == []
    # "%" and "_" are literal characters, not patterns.
    assert list(selectors.contact_list(search="a%@")) == []


def test_a_search_of_several_words_matches_whole_words_in_any_order():
    tapio = AccountFactory(name="Tapio Foods 54321 Ky")
    kaleva = AccountFactory(name="Kaleva-Timber Oy")
    person = AccountFactory(name="Person Account")
    aino = ContactFactory(account=person, first_name="Aino", last_name="Virtanen", email="")
    AccountFactory(name="Foods of Tampere")

    def accounts(term):
        return list(selectors.account_list(search=term))

    assert accounts("tapio foods 54321") == [tapio]
    assert accounts("TAPIO foods 543") == [tapio]  # the last word may be unfinished
    assert accounts("foods tapio") == [tapio]  # in any order
    assert accounts("  foods   54321 ") == [tapio]
    assert accounts("kaleva timber") == [kaleva]  # the parts of a hyphenated word
    assert accounts("virtanen ain") == [person]  # a contact's name
    assert list(selectors.contact_list(search="aino vir")) == [aino]
    # Other words are whole words: neither a beginning nor a middle matches ...
    assert accounts("tap foods") == []
    assert accounts("apio foods") == []
    assert accounts("tapio foods 99") == []
    # ... while one word alone still matches anywhere in the name.
    assert accounts("apio") == [tapio]
    # Quotes, operators and stray punctuation are only text.
    assert accounts("tapio' & !foods") == [tapio]
    assert accounts("tapio | kaleva") == []


def test_a_word_shorter_than_a_trigram_matches_the_start_of_a_word_or_an_address():
    tapio = AccountFactory(name="Tapio Foods")
    AccountFactory(name="Kata Oy")  # "ta" inside a word
    person = AccountFactory(name="Person Account")
    aino = ContactFactory(account=person, first_name="Aino", last_name="Virtanen", email="")
    mail = AccountFactory(name="Mail Account")
    ContactFactory(account=mail, first_name="Bo", last_name="Berg", email="ta@mail.example")
    ContactFactory(account=mail, first_name="Bo", last_name="Berg", email="bo@tax.example")

    assert list(selectors.account_list(search="TA")) == [mail, tapio]
    assert list(selectors.account_list(search="vi")) == [person]
    assert list(selectors.account_list(search="f")) == [tapio]
    assert list(selectors.contact_list(search="ai")) == [aino]


def test_a_broad_search_is_walked_in_page_order_and_not_counted(monkeypatch):
    from integration.counting import uncounted_floor

    monkeypatch.setattr(selectors, "BROAD_SEARCH", 3)
    named = [AccountFactory(name=name) for name in ("Data A", "Big Data", "Data B", "Nordata")]
    by_mail = AccountFactory(name="Plain Oy")
    ContactFactory(account=by_mail, first_name="Ann", email="ann@datahouse.example")
    AccountFactory(name="Other Oy")

    assert selectors.account_search("data").ids is None
    broad = selectors.account_list(search="data")
    assert list(broad) == sorted([*named, by_mail], key=lambda account: account.name)
    assert uncounted_floor(broad) == 4  # more than BROAD_SEARCH match
    assert list(broad.filter(name__startswith="D")) == [named[0], named[2]]

    narrow = selectors.account_list(search="nordata")
    assert selectors.account_search("nordata").ids == [named[3].pk]
    assert list(narrow) == [named[3]]
    assert uncounted_floor(narrow) is None


def test_many_matching_contacts_at_few_accounts_are_not_a_broad_search(monkeypatch):
    monkeypatch.setattr(selectors, "CONTACT_PROBE", 2)
    acme = AccountFactory(name="Acme Oy")
    for n in range(4):
        ContactFactory(account=acme, first_name=f"P{n}", email=f"p{n}@bigcorp.example")
    other = AccountFactory(name="Other Oy")
    ContactFactory(account=other, first_name="Q", email="q@bigcorp.example")

    assert selectors.account_search("bigcorp").ids == sorted([acme.pk, other.pk])
    assert list(selectors.account_list(search="bigcorp")) == [acme, other]


def test_many_contacts_at_many_accounts_are_looked_at_account_by_account(monkeypatch):
    monkeypatch.setattr(selectors, "CONTACT_PROBE", 2)
    monkeypatch.setattr(selectors, "BROAD_SEARCH", 1)
    lukas = []
    for name in ("Alpha Oy", "Beta Oy", "Gamma Oy"):
        account = AccountFactory(name=name)
        ContactFactory(account=account, first_name="Lukas", last_name="Meyer", email="")
        lukas.append(account)
    named = AccountFactory(name="Lukas Holding")
    AccountFactory(name="Other Oy")

    found = selectors.account_search("lukas")
    assert (found.ids, found.through_contacts) == (None, None)
    assert list(selectors.account_list(search="lukas")) == [*lukas, named]


def _fetched(queryset) -> tuple[list, list[str]]:
    """The rows of `queryset` and the SQL of each query that fetched them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        rows = list(queryset)
    return rows, [query["sql"] for query in captured]


def _explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_broad_search_walks_in_page_order_whatever_the_planner_guesses(monkeypatch):
    """A histogram of 100 names may miss a word 2 % of the names hold: "contains" would then
    look rare to the planner, which would fetch and sort every match instead of walking."""
    from django.db import connection

    monkeypatch.setattr(selectors, "BROAD_SEARCH", 10)
    monkeypatch.setattr(selectors, "WORD_SEARCH_WORDS", 0)  # walk: no account words
    Account.objects.bulk_create(
        Account(name=f"{'Media' if i % 50 == 0 else 'Company'} {i} Oy", normalized_name=str(i))
        for i in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_account")
    media = Account.objects.filter(name__startswith="Media")

    newest, queries = _fetched(selectors.account_list(search="media").order_by("-id")[:51])
    walk = next(sql for sql in queries if "STRPOS" in sql)
    by_name = selectors.account_list(search="media").order_by("name", "id")[:51]

    assert "Index Scan Backward using crm_account_pkey" in _explain(walk)
    assert "crm_account_name_trgm" not in _explain(walk)
    # The walk reads only what the order's index holds (the keys, the name it tests): the
    # rows themselves are read for the page only.
    assert walk.split(" FROM ")[0] == 'SELECT "crm_account"."id" AS "pk"'
    assert newest == list(media.order_by("-id")[:51])
    assert list(by_name) == list(media.order_by("name", "id")[:51])


def _clustered(count: int) -> list[Account]:
    """`count` "Alpha …" accounts, then, after them in name order, the matches of "nordic":
    "Nordic …" names, and an account whose only match is its contact's e-mail domain."""
    Account.objects.bulk_create(
        Account(name=f"Alpha {i:04d} Oy", normalized_name=f"alpha {i}") for i in range(count)
    )
    nordic = [AccountFactory(name=f"Nordic {i} Ab") for i in range(6)]
    contact_only = AccountFactory(name="Nord Holding")  # between "Nord" and "Nordic 0"
    ContactFactory(account=contact_only, first_name="Ann", email="ann@nordicmail.example")
    late = AccountFactory(name="Zeta Nordic Oy")  # "contains", far after the others
    return sorted([*nordic, contact_only, late], key=lambda a: (a.name, a.pk))


@pytest.mark.parametrize("looking_at_contacts", [False, True])
def test_a_broad_search_sorts_what_a_short_walk_misses(monkeypatch, looking_at_contacts):
    """Matches that cluster after the walked rows come from each side's own index, sorted:
    the page is the same as a sort of every match, in both directions."""
    monkeypatch.setattr(selectors, "BROAD_SEARCH", 2)
    monkeypatch.setattr(selectors, "WORD_SEARCH_WORDS", 0)  # walk: no account words
    monkeypatch.setitem(selectors.WALK_ROWS_PER_MATCH, "name", 5)
    monkeypatch.setattr(selectors, "WALK_ROWS_PER_MATCH_LOOKING_AT_CONTACTS", 5)
    if looking_at_contacts:  # too many matching contacts to list their accounts
        monkeypatch.setattr(selectors, "CONTACT_PROBE", 1)
        monkeypatch.setattr(selectors, "BROAD_SEARCH", 0)
    expected = _clustered(200)
    assert (selectors.account_search("nordic").through_contacts is None) == looking_at_contacts

    first, queries = _fetched(selectors.account_list(search="nordic").order_by("name", "id")[:4])
    backwards = selectors.account_list(search="nordic").order_by("-name", "-id")[:3]
    everything = selectors.account_list(search="nordic")

    assert first == expected[:4]
    assert any("COALESCE" in sql for sql in queries)  # walked 20 rows, then sorted the rest
    assert list(backwards) == expected[::-1][:3]
    assert list(everything) == expected  # no LIMIT: every match, sorted
    assert everything.count() == len(expected)


def test_a_broad_search_walks_each_order_an_index_keeps(monkeypatch):
    monkeypatch.setattr(selectors, "BROAD_SEARCH", 2)
    monkeypatch.setattr(selectors, "WORD_SEARCH_WORDS", 0)  # walk: no account words
    monkeypatch.setattr(selectors, "WALK_ROWS_PER_MATCH", dict.fromkeys(["id", "updated_at"], 5))
    expected = _clustered(50)

    for ordering in ("updated_at", "-updated_at", "created_at", "-id"):
        keys = [ordering, "-id" if ordering.startswith("-") else "id"]
        # The API's default order, newest first, is its paginator's (-id).
        page = selectors.account_list(search="nordic").order_by(*keys)[:5]
        by_key = sorted(
            expected,
            key=lambda a: [getattr(a, k.lstrip("-")) for k in keys],
            reverse="-" in keys[0],
        )
        assert list(page) == by_key[:5], ordering


def test_a_search_remembers_a_broad_term_for_a_while(monkeypatch):
    from django.core.cache import cache

    from integration.counting import uncounted_floor

    monkeypatch.setattr(selectors, "BROAD_SEARCH", 1)
    first, second = AccountFactory(name="Data One"), AccountFactory(name="Data Two")
    assert uncounted_floor(selectors.account_list(search="data")) == 2

    second.delete()
    # Still remembered as broad: the rows are right, the count is not taken ...
    remembered = selectors.account_list(search="data")
    assert list(remembered) == [first]
    assert uncounted_floor(remembered) == 2
    # ... until the memory goes (BROAD_SEARCH_SECONDS).
    cache.clear()
    assert selectors.account_search("data").ids == [first.pk]


def test_one_word_matches_the_start_of_an_address_or_of_its_domain():
    acme = AccountFactory(name="First Oy")
    ContactFactory(account=acme, first_name="Aino", email="aino@acme.example")
    sales = AccountFactory(name="Second Oy")
    ContactFactory(account=sales, first_name="Bo", email="acme.sales@partner.example")
    big = AccountFactory(name="Third Oy")
    ContactFactory(account=big, first_name="Cy", email="cy@bigacme.example")

    assert list(selectors.account_list(search="ACME")) == [acme, sales]
    assert sorted(c.email for c in selectors.contact_list(search="acme")) == [
        "acme.sales@partner.example",
        "aino@acme.example",
    ]


def test_a_search_of_several_words_uses_the_full_text_indexes():
    """The expressions NameWords writes are the ones crm/migrations/0006 indexed."""
    from django.db import connection

    # Enough rows, with statistics, that the planner prices an index against the table.
    Account.objects.bulk_create(
        Account(name=f"Company {i} Oy", normalized_name=f"company {i}") for i in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_account")
        cursor.execute("ANALYZE crm_contact")
    explained = ""
    for side in selectors.account_search_sides("company 17"):
        sql, params = side.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            explained += "\n".join(row[0] for row in cursor.fetchall())
    assert "crm_account_name_words" in explained
    assert "crm_contact_full_name_words" in explained


def test_one_word_finds_a_contact_by_the_start_of_any_word_of_the_name():
    """The row-by-row test looks for the term in the name (STRPOS) before it splits the
    name into words, and tests the e-mail address first: neither may turn away a name
    whose words match, in any case, after a hyphen or in letters beyond ASCII."""
    account = AccountFactory(name="Person Account")
    anna = ContactFactory(account=account, first_name="ANNA-LIISA", last_name="ÄIJÄLÄ", email="")
    ContactFactory(account=account, first_name="Pekka", last_name="Kallio", email="")
    other = AccountFactory(name="Other Oy")
    mail = ContactFactory(account=other, first_name="Bo", last_name="Berg", email="liisa@x.example")

    def contacts(term):
        return sorted(selectors.contact_list(search=term), key=lambda c: c.pk)

    assert contacts("liisa") == [anna, mail]
    assert contacts("äijä") == [anna]
    assert contacts("ÄIJÄLÄ") == [anna]
    assert contacts("Anna") == [anna]
    assert contacts("allio") == []  # inside a word
    assert list(selectors.account_list(search="äijälä")) == [account]

    sql = str(selectors.account_search_sides("liisa")[1].query)  # the contacts side
    assert sql.index("LIKE") < sql.index("STRPOS(LOWER(") < sql.index("to_tsvector")


def test_a_broad_contact_search_walks_then_sorts_what_it_missed(monkeypatch):
    """A last name's contacts sit together in last-name order: the walk passes the others,
    then the rest comes sorted from the indexes. A broad search is not counted."""
    from integration.counting import uncounted_floor

    monkeypatch.setattr(selectors, "BROAD_SEARCH", 2)
    monkeypatch.setattr(selectors, "CONTACT_WALK_ROWS_PER_MATCH", {"last_name": 2, "id": 2})
    account = AccountFactory()
    Contact.objects.bulk_create(
        Contact(account=account, first_name="Eero", last_name=f"Aalto {n:02d}", email="")
        for n in range(40)
    )
    for first in ("Pekka", "Aino", "Mikko", "Ville", "Anna"):
        ContactFactory(account=account, first_name=first, last_name="Virtanen", email="")
    expected = list(
        Contact.objects.filter(last_name="Virtanen").order_by("last_name", "first_name", "id")
    )

    broad = selectors.contact_list(search="virtanen")
    first_page, queries = _fetched(broad[:3])

    assert first_page == expected[:3]
    assert any("COALESCE" in sql for sql in queries)  # walked 6 contacts, then sorted
    assert list(broad) == expected
    assert uncounted_floor(broad) == 3
    assert uncounted_floor(selectors.contact_list(search="pekka")) is None  # narrow: counted


def test_a_broad_opportunity_search_finds_both_names_walks_then_sorts(monkeypatch):
    """An opportunity matches by its own name or its account's; a broad search walks the
    list in page order, then sorts the rest from each side's index."""
    from integration.counting import uncounted_floor

    monkeypatch.setattr(selectors, "BROAD_SEARCH", 2)
    monkeypatch.setattr(selectors, "OPPORTUNITY_WALK_ROWS_PER_MATCH", {"name": 2, "id": 2})
    plain = AccountFactory(name="Plain Oy")
    for n in range(30):
        OpportunityFactory(account=plain, name=f"Alpha deal {n:02d}")
    datahouse = AccountFactory(name="Datahouse Oy")
    by_account = [OpportunityFactory(account=datahouse, name=f"Renewal {n}") for n in range(2)]
    by_name = [OpportunityFactory(account=plain, name=f"Big data {n}") for n in range(3)]
    expected = sorted([*by_account, *by_name], key=lambda o: (o.name, o.pk))

    broad = selectors.opportunity_list(search="DATA", ordering="name")
    first_page, queries = _fetched(broad[:3])

    assert first_page == expected[:3]
    assert any("COALESCE" in sql for sql in queries)  # walked 6, then sorted the rest
    assert list(broad) == expected
    assert (
        list(selectors.opportunity_list(search="data").order_by("-id")[:2])
        == sorted(expected, key=lambda o: -o.pk)[:2]
    )
    assert uncounted_floor(broad) == 3
    assert list(selectors.opportunity_list(search="renewal 1")) == [by_account[1]]


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({"industry": "software"}, "crm_account_industry"),
        ({"country": "se"}, "crm_account_country"),
    ],
)
def test_account_filters_have_indexes_for_rare_values(filters, index):
    """A value few accounts have is found through an index (crm/migrations/0010), not by
    walking every account in name order: the expressions filtered on are the indexed ones."""
    from django.db import connection

    AccountFactory(industry="Software", billing_country="SE")
    sql, params = selectors.account_list(filters=filters).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # not the name index's walk either
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
    assert len(selectors.account_list(filters=filters)) == 1


def test_contact_and_lead_lists_search_names_and_emails():
    aino = ContactFactory(first_name="Aino", last_name="Virtanen", email="a@acme.ex")
    ContactFactory(first_name="Bob")
    assert list(selectors.contact_list(search="aino virt")) == [aino]
    assert [c.full_name for c in selectors.contact_list(search="A@ACME")] == ["Aino Virtanen"]
    lead = LeadFactory(first_name="Lea", last_name="Lead", company="Leadco")
    assert list(selectors.lead_list(search="lea lead")) == [lead]
    assert list(selectors.lead_list(search="leadco", filters={"status": "new"})) == [lead]


def test_account_list_filters():
    old = AccountFactory(status="active", industry="Retail", tags=["vip"])
    AccountFactory(status="prospect", industry="Retail")
    assert list(selectors.account_list(filters={"status": "active"})) == [old]
    assert list(selectors.account_list(filters={"tag": ["vip", "x"], "industry": "retail"})) == [
        old
    ]
    assert list(selectors.account_list(filters={"created_before": "2000-01-01"})) == []
    with pytest.raises(ValidationError):
        selectors.account_list(filters={"status": "weird"})


def test_account_list_query_count_does_not_grow_with_rows(django_assert_num_queries):
    for _ in range(3):
        AccountFactory(tags=["a", "b"])
    with django_assert_num_queries(2):  # accounts with owners, then all their tags
        rows = list(selectors.account_list(with_counts=True))
        assert [sorted(t.name for t in a.tags.all()) for a in rows] == [["a", "b"]] * 3
        assert rows[0].contacts_count == 0
    for _ in range(7):
        AccountFactory(tags=["c"])
    with django_assert_num_queries(2):
        rows = list(selectors.account_list(with_counts=True))
        [(a.owner, list(a.tags.all())) for a in rows]


def test_account_list_counts_open_opportunities():
    account = AccountFactory()
    OpportunityFactory(account=account, amount=Decimal("100.00"))
    OpportunityFactory(account=account, amount=Decimal("50.00"))
    OpportunityFactory(account=account, stage=default_stage("Won"))
    OpportunityFactory(account=account, amount=Decimal("70.00"), currency="USD")
    [row] = selectors.account_list(with_counts=True)
    # The value is in the account's currency (EUR): the USD amount does not add to it.
    assert (row.open_opportunities_count, row.open_opportunities_value) == (3, Decimal("150.00"))


def test_board_totals_each_currency_apart():
    OpportunityFactory(amount=Decimal("10"))
    OpportunityFactory(amount=Decimal("7"), currency="USD")
    OpportunityFactory(amount=Decimal("5"), currency="USD")
    OpportunityFactory(amount=Decimal("3"), currency="DKK")

    [(first, cards), *_] = selectors.opportunity_board(pipeline=selectors.pipeline_default())

    assert first.opportunity_count == len(cards) == 4
    assert first.totals == [
        ("EUR", Decimal("10.00")),
        ("DKK", Decimal("3.00")),
        ("USD", Decimal("12.00")),
    ]


def test_forecast_weights_open_amounts_by_month():
    first = timezone.localdate().replace(day=1)
    OpportunityFactory(amount=Decimal("1000"), expected_close_date=first)  # 10 %
    OpportunityFactory(
        amount=Decimal("1000"), expected_close_date=first, stage=default_stage("Negotiation")
    )
    OpportunityFactory(amount=Decimal("500"), expected_close_date=first + timedelta(days=40))
    OpportunityFactory(amount=Decimal("999"), expected_close_date=first, stage=default_stage("Won"))
    [series] = selectors.forecast(months=3)
    assert series.currency == "EUR"
    assert len(series.months) == 3
    assert series.months[0] == {
        "month": first,
        "amount": Decimal("2000.00"),
        "weighted_amount": Decimal("800.00"),
    }
    assert series.months[1]["amount"] == Decimal("500.00")
    assert series.months[2]["amount"] == Decimal("0.00")
    assert (series.total_amount, series.total_weighted) == (Decimal("2500.00"), Decimal("850.00"))


def test_forecast_never_adds_up_amounts_in_different_currencies():
    first = timezone.localdate().replace(day=1)
    OpportunityFactory(amount=Decimal("1000"), currency="USD", expected_close_date=first)
    OpportunityFactory(amount=Decimal("300"), currency="SEK", expected_close_date=first)

    series = selectors.forecast(months=2)

    # The default currency first, even without an opportunity; the others in code order.
    assert [one.currency for one in series] == ["EUR", "SEK", "USD"]
    assert [one.total_amount for one in series] == [
        Decimal("0.00"),
        Decimal("300.00"),
        Decimal("1000.00"),
    ]
    assert series[2].months[0]["weighted_amount"] == Decimal("100.00")


def test_opportunity_board_columns_follow_the_stages(django_assert_max_num_queries):
    OpportunityFactory(amount=Decimal("10"))
    OpportunityFactory(amount=Decimal("5"), stage=default_stage("Won"))
    pipeline = selectors.pipeline_default()
    with django_assert_max_num_queries(8):
        board = selectors.opportunity_board(pipeline=pipeline)
    assert [stage.name for stage, _ in board] == [
        "Qualification",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
    assert [len(items) for _, items in board] == [1, 0, 0, 1, 0]
    assert board[0][0].totals == [("EUR", Decimal("10.00"))]


def test_my_open_tasks_are_the_users_undone_activities(sales_user):
    soon = ActivityFactory(owner=sales_user, due_at="2030-01-01T10:00Z")
    undated = ActivityFactory(owner=sales_user)
    ActivityFactory(owner=sales_user, done=True)
    ActivityFactory()
    assert selectors.my_open_tasks(user=sales_user) == [soon, undated]


def test_events_validate_against_their_schemas():
    # Every event above was validated by publish(); this guards the payload builders'
    # shape for an opportunity with every optional field filled.
    opportunity = OpportunityFactory(expected_close_date=date(2030, 1, 1))
    services.opportunity_update(opportunity=opportunity, lost_reason="n/a")
    assert Event.objects.filter(type="crm.opportunity.updated").count() == 1


# ---------------------------------------------------------------- admin uses the services

INLINE_MANAGEMENT = {
    "contacts-TOTAL_FORMS": "0",
    "contacts-INITIAL_FORMS": "0",
    "opportunities-TOTAL_FORMS": "0",
    "opportunities-INITIAL_FORMS": "0",
}


@pytest.fixture
def staff_client(admin_client, settings):
    settings.TANDEM_MFA_REQUIRED_ROLES = []
    return admin_client


def test_admin_edits_of_an_account_publish_their_events(staff_client, new_events):
    form = {"name": "Acme Oy", "kind": "company", "status": "prospect", "currency": "EUR"}
    response = staff_client.post("/admin/crm/account/add/", {**form, **INLINE_MANAGEMENT})
    assert response.status_code == 302
    account = Account.objects.get()

    form.update(name="Acme Group Oy", status="active")
    response = staff_client.post(
        f"/admin/crm/account/{account.pk}/change/", {**form, **INLINE_MANAGEMENT}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.normalized_name, account.version) == (
        "Acme Group Oy",
        "acme group",
        2,
    )
    assert types(new_events()) == ["crm.account.created", "crm.account.updated"]


def test_admin_delete_of_an_account_with_open_deals_is_a_message(staff_client):
    account = OpportunityFactory().account
    response = staff_client.post(
        f"/admin/crm/account/{account.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert Account.objects.filter(pk=account.pk).exists()
    assert "open opportunit" in response.content.decode()


def test_admin_actions_merge_accounts_and_convert_leads(staff_client, new_events):
    first, second = AccountFactory(), AccountFactory()
    staff_client.post(
        "/admin/crm/account/",
        {"action": "merge_into_first", "_selected_action": [second.pk, first.pk]},
    )
    assert list(Account.objects.all()) == [first]
    lead = LeadFactory()
    action = {"action": "convert_leads", "_selected_action": [lead.pk]}
    staff_client.post("/admin/crm/lead/", action)
    lead.refresh_from_db()
    assert lead.status == "converted"
    assert "crm.account.merged" in types(new_events())


@pytest.mark.parametrize(
    "model",
    [
        "account",
        "contact",
        "opportunity",
        "lead",
        "activity",
        "campaign",
        "segment",
        "pipeline",
        "stage",
        "tag",
        "webleadform",
        "campaignmember",
    ],
)
def test_admin_pages_of_every_crm_model_open(staff_client, model):
    OpportunityFactory()
    assert staff_client.get(f"/admin/crm/{model}/?q=x").status_code == 200
    assert staff_client.get(f"/admin/crm/{model}/add/").status_code == 200
