"""CRM lookup pickers: the lookup endpoints, and forms that no longer list every row."""

from __future__ import annotations

import re

import factory
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crm import services
from crm.forms import ActivityForm, CampaignStartForm, ContactForm, LeadForm, OpportunityForm
from crm.models import Opportunity
from tests.factories.crm import (
    AccountFactory,
    CampaignFactory,
    ContactFactory,
    OpportunityFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_two_factor_policy(settings):
    settings.TANDEM_MFA_REQUIRED_ROLES = []


@pytest.fixture
def sales(make_user):
    return make_user(roles=["Sales"], username="sally")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def factory_name(prefix: str) -> factory.Sequence:
    return factory.Sequence(lambda n: f"{prefix} account {n}")


def option_values(html: str) -> list[str]:
    return re.findall(r'<option value="(\d+)"', html)


# ------------------------------------------------------------------ lookup endpoints


def test_account_lookup_returns_matching_accounts_alphabetically(sales):
    AccountFactory(name="Borealis Oy")
    alpha = AccountFactory(name="Alpha Borealis AB")
    AccountFactory(name="Globex")

    response = client_for(sales).get("/crm/lookups/accounts/", {"q": "boreal"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Alpha Borealis AB" in html
    assert "Borealis Oy" in html
    assert "Globex" not in html
    assert option_values(html)[0] == str(alpha.pk)


def test_account_lookup_says_when_nothing_matches(sales):
    html = client_for(sales).get("/crm/lookups/accounts/", {"q": "nothing"}).content.decode()

    assert option_values(html) == []
    assert "No match" in html


def test_lookups_return_at_most_twenty_options_and_say_there_are_more(sales):
    AccountFactory.create_batch(25)

    html = client_for(sales).get("/crm/lookups/accounts/", {"q": "company"}).content.decode()

    assert len(option_values(html)) == 20
    assert "keep typing" in html


def test_contact_lookup_matches_name_or_email_within_the_given_account(sales):
    acme, globex = AccountFactory(name="Acme"), AccountFactory(name="Globex")
    aino = ContactFactory(account=acme, first_name="Aino", last_name="Virtanen", email="a@x.fi")
    ContactFactory(account=globex, first_name="Aino", last_name="Other", email="o@x.fi")
    by_email = ContactFactory(account=acme, first_name="Bo", last_name="B", email="aino@acme.fi")
    client = client_for(sales)

    everywhere = client.get("/crm/lookups/contacts/", {"q": "aino"}).content.decode()
    at_acme = client.get(
        "/crm/lookups/contacts/", {"q": "aino", "account": acme.pk}
    ).content.decode()

    assert len(option_values(everywhere)) == 3
    assert "Aino Virtanen" in everywhere
    assert "· Acme" in everywhere
    assert sorted(option_values(at_acme)) == sorted([str(aino.pk), str(by_email.pk)])


def test_contact_lookup_ignores_a_malformed_account(sales):
    ContactFactory(first_name="Aino")

    response = client_for(sales).get("/crm/lookups/contacts/", {"q": "aino", "account": "x"})

    assert response.status_code == 200
    assert len(option_values(response.content.decode())) == 1


def test_opportunity_lookup_keeps_to_the_given_account(sales):
    acme = AccountFactory(name="Acme")
    pilot = OpportunityFactory(account=acme, name="Pilot")
    OpportunityFactory(name="Pilot elsewhere")

    html = (
        client_for(sales)
        .get("/crm/lookups/opportunities/", {"q": "pilot", "account": acme.pk})
        .content.decode()
    )

    assert option_values(html) == [str(pilot.pk)]


def test_segment_and_campaign_lookups_match_by_name(make_user):
    marketer = make_user(roles=["Marketing"], username="mark")
    finns = SegmentFactory(name="Finns")
    SegmentFactory(name="Swedes")
    spring = CampaignFactory(name="Spring launch", segment=finns)
    CampaignFactory(name="Autumn", segment=finns)
    client = client_for(marketer)

    segments = client.get("/crm/lookups/segments/", {"q": "fin"}).content.decode()
    campaigns = client.get("/crm/lookups/campaigns/", {"q": "spring"}).content.decode()

    assert option_values(segments) == [str(finns.pk)]
    assert option_values(campaigns) == [str(spring.pk)]


@pytest.mark.parametrize(
    "url",
    [
        "/crm/lookups/accounts/",
        "/crm/lookups/contacts/",
        "/crm/lookups/opportunities/",
        "/crm/lookups/segments/",
        "/crm/lookups/campaigns/",
    ],
)
def test_lookups_refuse_users_without_crm_access(make_user, url):
    AccountFactory(name="Secret Oy")
    warehouse = make_user(roles=["Warehouse"], username="wally")

    response = client_for(warehouse).get(url, {"q": "secret"})

    assert response.status_code == 403
    assert "Secret Oy" not in response.content.decode()


def test_lookups_send_anonymous_users_to_log_in():
    response = Client().get("/crm/lookups/accounts/", {"q": "a"})

    assert response.status_code in (302, 403)
    assert "<option" not in response.content.decode()


# ------------------------------------------------------------------ forms render only the choice


def render_opportunity_create(client: Client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/crm/opportunities/new/").content.decode()
    return len(queries), html


def test_opportunity_create_page_does_not_grow_with_accounts_and_contacts(sales):
    client = client_for(sales)
    for account in AccountFactory.create_batch(30, name=factory_name("Fewco")):
        ContactFactory(account=account, first_name="Firstfew")
    few_queries, few_html = render_opportunity_create(client)

    for account in AccountFactory.create_batch(30, name=factory_name("Manyco")):
        ContactFactory(account=account, first_name="Firstmore")
    CampaignFactory.create_batch(5, segment=SegmentFactory())
    many_queries, many_html = render_opportunity_create(client)

    assert many_queries == few_queries
    for name in ("Fewco", "Manyco", "Firstfew", "Firstmore"):
        assert name not in many_html
    assert abs(len(many_html) - len(few_html)) < 100
    assert 'hx-get="/crm/lookups/accounts/"' in many_html
    assert 'hx-trigger="input changed delay:250ms, focus once"' in many_html
    assert 'hx-include="[name=account]"' in many_html


def test_opportunity_create_from_an_account_keeps_it_fixed_and_offers_its_contacts(sales):
    acme = AccountFactory(name="Acme Oy")
    ContactFactory(account=acme, first_name="Aino", last_name="Virtanen")
    AccountFactory(name="Globex")

    html = client_for(sales).get(f"/crm/opportunities/new/?account={acme.pk}").content.decode()

    select = re.search(r'<select name="account"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    assert " disabled" in select.group(0)
    assert f'<option value="{acme.pk}" selected>Acme Oy</option>' in select.group(1)
    assert "Globex" not in html
    assert "Aino" not in html  # contacts load only when searched for
    assert f'hx-get="/crm/lookups/contacts/?account={acme.pk}"' in html


def test_opportunity_create_with_a_chosen_account_and_contact_still_works(sales):
    acme = AccountFactory(name="Acme Oy")
    aino = ContactFactory(account=acme)

    response = client_for(sales).post(
        "/crm/opportunities/new/",
        {"account": acme.pk, "contact": aino.pk, "name": "Pilot", "amount": "100.00"},
    )

    opportunity = Opportunity.objects.get(name="Pilot")
    assert response.status_code == 302
    assert opportunity.account == acme
    assert opportunity.contact == aino


def test_invalid_opportunity_form_shows_the_submitted_choices_again(sales):
    acme, globex = AccountFactory(name="Acme Oy"), AccountFactory(name="Globex")
    stranger = ContactFactory(account=globex, first_name="Stray", last_name="Person")

    response = client_for(sales).post(
        "/crm/opportunities/new/",
        {"account": acme.pk, "contact": stranger.pk, "name": "Pilot"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "This contact belongs to another account." in html
    assert f'<option value="{acme.pk}" selected>Acme Oy</option>' in html
    assert f'<option value="{stranger.pk}" selected>Stray Person</option>' in html
    assert "Globex" not in html


def test_an_unknown_account_id_is_refused_by_the_form(sales):
    response = client_for(sales).post(
        "/crm/opportunities/new/", {"account": 999_999, "name": "Pilot"}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Opportunity.objects.filter(name="Pilot").exists()


def test_opportunity_edit_shows_the_current_account_and_contact(sales):
    acme = AccountFactory(name="Acme Oy")
    aino = ContactFactory(account=acme, first_name="Aino", last_name="Virtanen")
    ContactFactory(account=acme, first_name="Other", last_name="Person")
    opportunity = services.opportunity_create(account=acme, contact=aino, name="Pilot", user=sales)

    html = client_for(sales).get(f"/crm/opportunities/{opportunity.pk}/edit/").content.decode()

    assert f'<option value="{acme.pk}" selected>Acme Oy</option>' in html
    assert f'<option value="{aino.pk}" selected>Aino Virtanen</option>' in html
    assert "Other Person" not in html


def test_contact_create_page_lists_no_accounts(sales):
    AccountFactory.create_batch(5, name=factory_name("Listed"))

    html = client_for(sales).get("/crm/contacts/new/").content.decode()

    assert "Listed" not in html
    assert 'hx-get="/crm/lookups/accounts/"' in html


def test_activity_create_from_an_account_preselects_it(sales):
    acme = AccountFactory(name="Acme Oy")
    AccountFactory(name="Globex")

    html = client_for(sales).get(f"/crm/activities/new/?account={acme.pk}").content.decode()

    assert f'<option value="{acme.pk}" selected>Acme Oy</option>' in html
    assert "Globex" not in html
    assert 'hx-get="/crm/lookups/opportunities/"' in html


@pytest.mark.parametrize(
    ("form_class", "field"),
    [
        (ContactForm, "account"),
        (OpportunityForm, "account"),
        (OpportunityForm, "contact"),
        (OpportunityForm, "source_campaign"),
        (ActivityForm, "contact"),
        (ActivityForm, "opportunity"),
        (CampaignStartForm, "segment"),
        (LeadForm, "campaign"),
    ],
)
def test_a_picker_renders_its_choice_with_one_query_and_nothing_else(
    form_class, field, django_assert_num_queries
):
    acme = AccountFactory(name="Acme Oy")
    AccountFactory.create_batch(3)
    segments = SegmentFactory.create_batch(3)
    rows = {
        "account": acme,
        "contact": ContactFactory.create_batch(3, account=acme)[0],
        "opportunity": OpportunityFactory.create_batch(3, account=acme)[0],
        "source_campaign": CampaignFactory.create_batch(3, segment=segments[0])[0],
        "campaign": CampaignFactory(segment=segments[1]),
        "segment": segments[0],
    }
    chosen = rows[field]
    empty, bound = form_class(), form_class(data={field: str(chosen.pk)})
    bound.is_valid()  # validating the id is the field's own query, not the widget's

    with django_assert_num_queries(0):
        empty_html = str(empty[field])
    with django_assert_num_queries(1):
        bound_html = str(bound[field])

    assert option_values(empty_html) == []
    assert option_values(bound_html) == [str(chosen.pk)]
    assert f'<option value="{chosen.pk}" selected>' in bound_html


def test_a_picker_shows_nothing_for_an_id_that_matches_no_row():
    form = OpportunityForm(data={"account": "123456"})

    assert not form.is_valid()
    assert option_values(str(form["account"])) == []
    assert "Select a valid choice" in str(form.errors["account"])
