"""CRM pages: lists (search, filters, sort, pages, CSV), forms, board, wizard, import, roles."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm import selectors, services
from crm.models import Account, Activity, Campaign, Contact, Lead, Opportunity, Segment
from tests.factories.crm import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_two_factor_policy(settings):
    settings.TANDEM_MFA_REQUIRED_ROLES = []


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def sales(make_user):
    return make_user(roles=["Sales"], username="sally")


@pytest.fixture
def marketing(make_user):
    return make_user(roles=["Marketing"], username="mark")


@pytest.fixture
def manager(make_user):
    return make_user(roles=["Manager"], username="meg")


def stages():
    return list(selectors.pipeline_default().stages.all())


def make_account(name, user=None, *, contacts=0, tags=None, **fields):
    account = services.account_create(name=name, user=user, tags=tags or [], **fields)
    for n in range(contacts):
        services.contact_create(
            account=account,
            first_name=f"Person{n}",
            last_name=name.split()[0],
            email=f"p{n}@{name.split()[0].lower()}.example",
            marketing_consent=True,
            consent_source="test",
        )
    return account


@pytest.fixture
def world(sales):
    """An account with a contact, an opportunity, a task, a lead, a segment and a campaign."""
    acme = make_account(
        "Acme Oy",
        sales,
        contacts=1,
        tags=["vip"],
        industry="Software",
        billing_country="FI",
        website="https://acme.example",
    )
    other = make_account("Globex", sales, industry="Retail", billing_country="SE")
    opportunity = services.opportunity_create(
        account=acme, name="Pilot", amount=Decimal("1200.00"), user=sales
    )
    task = services.activity_log(
        subject="Call Aino", kind=Activity.Kind.TASK, user=sales, account=acme
    )
    lead = services.lead_create(
        first_name="Lea", last_name="Lead", company="Leadco", email="lea@acme.example"
    )
    segment = services.segment_create(name="Finns", criteria={"country": "FI"})
    campaign = services.campaign_create(name="Spring", segment=segment)
    return {
        "acme": acme,
        "other": other,
        "opportunity": opportunity,
        "task": task,
        "lead": lead,
        "segment": segment,
        "campaign": campaign,
    }


# ------------------------------------------------------------------ every page renders


def page_urls(world):
    acme, lead = world["acme"], world["lead"]
    contact = acme.contacts.first()
    return [
        "/crm/",
        "/crm/accounts/?q=acme&status=prospect&country=FI&tag=vip&sort=-name",
        f"/crm/accounts/{acme.pk}/",
        "/crm/accounts/new/",
        f"/crm/accounts/{acme.pk}/edit/",
        "/crm/contacts/?q=person&marketing_consent=true",
        f"/crm/contacts/{contact.pk}/",
        f"/crm/contacts/new/?account={acme.pk}",
        f"/crm/contacts/{contact.pk}/edit/",
        "/crm/leads/?q=lea&status=new",
        f"/crm/leads/{lead.pk}/",
        f"/crm/leads/{lead.pk}/convert/",
        "/crm/opportunities/?q=pilot&status=open&sort=amount",
        f"/crm/opportunities/{world['opportunity'].pk}/",
        "/crm/opportunities/new/",
        f"/crm/opportunities/{world['opportunity'].pk}/edit/",
        "/crm/opportunities/board/",
        "/crm/opportunities/forecast/",
        "/crm/activities/?q=call&done=false&kind=task",
        "/crm/activities/new/",
        f"/crm/activities/{world['task'].pk}/edit/",
        "/crm/segments/?q=finn",
        "/crm/campaigns/?status=draft",
        f"/crm/campaigns/{world['campaign'].pk}/",
        "/crm/import/",
    ]


def test_every_crm_page_renders_for_sales_with_search_and_filters(sales, world):
    client = client_for(sales)
    for url in page_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url


def test_account_list_searches_filters_and_counts(sales, world):
    client = client_for(sales)

    html = client.get("/crm/accounts/?q=acme&country=FI").content.decode()
    assert "Acme Oy" in html
    assert "Globex" not in html
    assert re.search(r'data-testid="list-count">1 result<', html)

    # Searching by a contact's e-mail finds its account.
    html = client.get("/crm/accounts/?q=p0@acme.example").content.decode()
    assert "Acme Oy" in html
    assert "Globex" not in html

    html = client.get("/crm/accounts/?industry=Retail").content.decode()
    assert "Globex" in html
    assert "Acme Oy" not in html


def test_account_list_shows_a_broad_search_without_counting_it(sales, monkeypatch):
    monkeypatch.setattr(selectors, "BROAD_SEARCH", 2)
    for name in ("Data A Oy", "Data B Oy", "Big Data Oy"):
        AccountFactory(name=name)
    AccountFactory(name="Other Oy")
    client = client_for(sales)

    html = client.get("/crm/accounts/?q=data").content.decode()

    assert re.search(r'data-testid="list-count">The search matches over 2: not counted<', html)
    assert html.index("Big Data Oy") < html.index("Data A Oy") < html.index("Data B Oy")
    assert "Other Oy" not in html


def test_account_list_rows_show_link_status_owner_tags_and_age(sales, make_user):
    owner = make_user(username="olga", first_name="Olga", last_name="Owner")
    account = AccountFactory(
        name="Rowtest <Oy>", status="active", industry="Retail", owner=owner, tags=["vip", "b2b"]
    )
    html = client_for(sales).get("/crm/accounts/?q=rowtest").content.decode()
    row = re.search(r'<tr data-testid="account-row">(.*?)</tr>', html, re.S).group(1)
    assert f'href="/crm/accounts/{account.pk}/"' in row
    assert "Rowtest &lt;Oy&gt;" in row  # escaped
    assert "status-active" in row
    assert ">Active<" in row
    assert "Olga Owner" in row
    assert row.index(">b2b<") < row.index(">vip<")  # tags in name order
    assert "now" in row  # updated a moment ago
    local = timezone.localtime(account.updated_at).strftime("%Y-%m-%d %H:%M")
    assert f'title="{local}"' in row


def test_htmx_request_renders_only_the_table(sales, world):
    response = client_for(sales).get("/crm/accounts/?q=glob", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="account-table"')
    assert "<html" not in html
    assert "Globex" in html
    assert "HX-Request" in response["Vary"]


def test_account_list_pages_by_keyset_both_ways(sales):
    for n in range(30):
        Account.objects.create(name=f"Company {n:02d}", normalized_name=f"company {n:02d}")
    client = client_for(sales)

    first = client.get("/crm/accounts/").content.decode()
    names = re.findall(r"Company (\d\d)</a>", first)
    assert names == [f"{n:02d}" for n in range(25)]
    next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")

    second = client.get("/crm/accounts/" + next_url).content.decode()
    assert re.findall(r"Company (\d\d)</a>", second) == [f"{n:02d}" for n in range(25, 30)]
    assert 'rel="next"' not in second
    prev_url = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")

    back = client.get("/crm/accounts/" + prev_url).content.decode()
    assert re.findall(r"Company (\d\d)</a>", back) == names


def test_a_broad_search_pages_both_ways_when_its_matches_cluster(sales, monkeypatch):
    """The account page of a broad search, in name order: each page walks a few accounts,
    then sorts the matches after them (integration.walking)."""
    monkeypatch.setattr(selectors, "BROAD_SEARCH", 2)
    monkeypatch.setitem(selectors.WALK_ROWS_PER_MATCH, "name", 2)
    Account.objects.bulk_create(
        Account(name=f"Alpha {i:03d} Oy", normalized_name=f"alpha {i}") for i in range(200)
    )
    names = [f"Nordic {n:02d} Ab" for n in range(30)]
    Account.objects.bulk_create(Account(name=n, normalized_name=n.lower()) for n in names)
    client = client_for(sales)

    def shown(html: str) -> list[str]:
        return re.findall(r">(Nordic \d\d Ab)</a>", html)

    first = client.get("/crm/accounts/?q=nordic").content.decode()
    next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get("/crm/accounts/" + next_url).content.decode()
    prev_url = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    back = client.get("/crm/accounts/" + prev_url).content.decode()

    assert shown(first) + shown(second) == names
    assert shown(back) == shown(first)
    assert "not counted" in first


def test_a_deep_page_starts_its_index_scan_at_the_cursor():
    """The keyset test also says `name >= value` on its own: an OR alone is only a filter,
    and PostgreSQL would walk the name index from its first row to reach a deep page."""
    from integration.pages import keyset_page

    Account.objects.bulk_create(
        Account(name=f"Company {n:04d}", normalized_name=f"company {n:04d}") for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_account")
    first = keyset_page(Account.objects.all(), sort="name", page_size=2000)
    with CaptureQueriesContext(connection) as captured:
        deep = keyset_page(Account.objects.all(), sort="name", cursor=first.next_cursor)
    assert [a.name for a in deep.rows][:2] == ["Company 2000", "Company 2001"]

    page_sql = next(q["sql"] for q in captured if "LIMIT" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + page_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Cond: ((name)::text >= 'Company 1999'::text)" in plan


@pytest.mark.parametrize(
    ("queryset", "sort"),
    [
        (lambda: selectors.opportunity_list(), "-created_at"),
        (lambda: selectors.opportunity_list(), "name"),
        (lambda: selectors.activity_list(), "-created_at"),
        (lambda: selectors.contact_list(), "last_name"),
        (lambda: selectors.account_list(), "name"),
        (lambda: selectors.opportunity_list(), "-amount"),
        (lambda: selectors.opportunity_list(), "expected_close_date"),
        (lambda: selectors.opportunity_list(), "-expected_close_date"),
        (lambda: selectors.opportunity_list(), "status"),
        (lambda: selectors.contact_list(), "-email"),
        (lambda: selectors.activity_list(), "due_at"),
        (lambda: selectors.activity_list(), "-due_at"),
    ],
    ids=[
        "opportunities",
        "opportunities by name",
        "activities",
        "contacts",
        "accounts",
        "opportunities by amount",
        "opportunities by close date",
        "opportunities by close date, latest first",
        "opportunities by status",
        "contacts by e-mail",
        "activities by due date",
        "activities by due date, latest first",
    ],
)
def test_a_list_page_reads_its_rows_in_index_order(queryset, sort):
    """No sort of the whole table for a page: an index keeps each list's orders
    (crm/migrations/0008 and 0011), and a field that is never NULL is ordered without
    NULLS LAST, which an index read backwards would not give."""
    from integration.pages import keyset_page

    with CaptureQueriesContext(connection) as captured:
        keyset_page(queryset(), sort=sort, with_count=False)
    [page_sql] = [q["sql"] for q in captured if "LIMIT" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")  # a sort only where nothing else can
        cursor.execute("EXPLAIN " + page_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Sort" not in plan, plan


def test_account_csv_export_has_the_filtered_rows(sales, world):
    response = client_for(sales).get("/crm/accounts/?country=SE&format=csv")

    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("id,name,")
    assert len(lines) == 2
    assert "Globex" in lines[1]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    ["/crm/accounts/", "/crm/contacts/", "/crm/opportunities/", "/crm/activities/", "/crm/leads/"],
)
def test_list_query_count_does_not_grow_with_rows(sales, url):
    client = client_for(sales)

    def add(n, start):
        for i in range(start, start + n):
            account = make_account(f"Firm{i} Oy", sales, contacts=1, tags=["a", "b"])
            services.opportunity_create(account=account, name=f"Deal {i}", user=sales)
            services.activity_log(subject=f"Task {i}", kind="task", user=sales, account=account)
            services.lead_create(last_name=f"Lead{i}", email=f"l{i}@x.example", user=sales)

    add(2, 0)
    few = _queries(client, url)
    add(12, 2)
    many = _queries(client, url)
    assert many == few, url


# ------------------------------------------------------------------ forms


def test_create_account_shows_validation_errors_next_to_fields(sales):
    response = client_for(sales).post(
        "/crm/accounts/new/", {"name": "", "kind": "company", "status": "prospect", "website": "x"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_name-errors"' in html
    assert 'id="id_website-errors"' in html
    assert "is-invalid" in html
    assert not Account.objects.exists()


def account_post(**fields):
    data = {"name": "Acme Ltd", "kind": "company", "status": "prospect", "currency": "EUR"}
    data.update(fields)
    return data


def test_create_account_with_duplicate_name_warns_and_needs_confirmation(sales, world):
    client = client_for(sales)

    response = client.post("/crm/accounts/new/", account_post())

    html = response.content.decode()
    assert 'data-testid="duplicate-warning"' in html
    assert f'href="/crm/accounts/{world["acme"].pk}/"' in html
    assert Account.objects.filter(name="Acme Ltd").count() == 0

    response = client.post("/crm/accounts/new/", account_post(confirm_duplicate="1"))
    created = Account.objects.get(name="Acme Ltd")
    assert response.status_code == 302
    assert response["Location"] == f"/crm/accounts/{created.pk}/"


def test_create_account_without_duplicate_redirects_to_it(sales):
    response = client_for(sales).post(
        "/crm/accounts/new/", account_post(name="Brand New", tags="vip, nordics")
    )

    account = Account.objects.get(name="Brand New")
    assert response["Location"] == f"/crm/accounts/{account.pk}/"
    assert sorted(account.tags.values_list("name", flat=True)) == ["nordics", "vip"]
    assert account.owner == Account.objects.get(pk=account.pk).owner


def test_account_detail_links_the_360_page_and_offers_merge(sales, world):
    duplicate = Account.objects.create(name="ACME oy", normalized_name="acme")
    client = client_for(sales)
    html = client.get(f"/crm/accounts/{world['acme'].pk}/").content.decode()

    assert f'href="/customers/{world["acme"].pk}/"' in html
    assert 'data-testid="merge-form"' in html

    response = client.post(f"/crm/accounts/{world['acme'].pk}/merge/", {"duplicate": duplicate.pk})
    assert response.status_code == 302
    assert not Account.objects.filter(pk=duplicate.pk).exists()


def test_deleting_an_account_with_open_opportunities_shows_a_message_not_an_error(sales, world):
    response = client_for(sales).post(f"/crm/accounts/{world['acme'].pk}/delete/", follow=True)

    assert response.status_code == 200
    assert "open opportunit" in response.content.decode()
    assert Account.objects.filter(pk=world["acme"].pk).exists()


def test_contact_with_duplicate_email_at_the_account_is_refused_on_the_form(sales, world):
    acme = world["acme"]
    response = client_for(sales).post(
        f"/crm/contacts/new/?account={acme.pk}",
        {"first_name": "Again", "email": "P0@acme.example"},
    )

    assert response.status_code == 200
    assert "already has a contact with this e-mail" in response.content.decode()
    assert acme.contacts.count() == 1


def test_lead_conversion_offers_and_attaches_to_the_matching_account(sales, world):
    lead, acme = world["lead"], world["acme"]
    client = client_for(sales)

    html = client.get(f"/crm/leads/{lead.pk}/convert/").content.decode()
    assert 'data-testid="conversion-matches"' in html
    assert "Acme Oy" in html

    response = client.post(
        f"/crm/leads/{lead.pk}/convert/", {"account": acme.pk, "opportunity_name": ""}
    )
    lead.refresh_from_db()
    assert response["Location"] == f"/crm/accounts/{acme.pk}/"
    assert lead.converted_account_id == acme.pk
    assert lead.status == Lead.Status.CONVERTED
    # A second conversion is refused politely.
    response = client.get(f"/crm/leads/{lead.pk}/convert/")
    assert response.status_code == 302


# ------------------------------------------------------------------ board


def test_kanban_move_via_htmx_changes_the_stage_and_rerenders_the_board(sales, world):
    opportunity = world["opportunity"]
    won = next(stage for stage in stages() if stage.outcome == "won")

    response = client_for(sales).post(
        f"/crm/opportunities/{opportunity.pk}/move/", {"stage": won.pk}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board"')
    opportunity.refresh_from_db()
    assert opportunity.stage_id == won.pk
    assert opportunity.status == Opportunity.Status.WON


def test_kanban_card_fallback_form_moves_without_javascript(sales, world):
    opportunity = world["opportunity"]
    target = stages()[1]
    client = client_for(sales)
    board = client.get("/crm/opportunities/board/").content.decode()
    assert f'data-move-url="/crm/opportunities/{opportunity.pk}/move/"' in board
    assert 'data-testid="stage-qualification"' in board.lower() or "data-stage=" in board

    response = client.post(
        f"/crm/opportunities/{opportunity.pk}/move/",
        {"stage": target.pk, "next": "/crm/opportunities/board/"},
    )

    assert response["Location"] == "/crm/opportunities/board/"
    opportunity.refresh_from_db()
    assert opportunity.stage_id == target.pk


def test_marketing_user_cannot_move_opportunities(marketing, world):
    opportunity = world["opportunity"]
    client = client_for(marketing)

    board = client.get("/crm/opportunities/board/")
    assert board.status_code == 200
    assert "data-move-url" not in board.content.decode()

    response = client.post(
        f"/crm/opportunities/{opportunity.pk}/move/",
        {"stage": stages()[1].pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 403
    opportunity.refresh_from_db()
    assert opportunity.stage_id == stages()[0].pk


def test_forecast_shows_weighted_amounts(sales, world):
    services.opportunity_update(
        opportunity=world["opportunity"], expected_close_date=timezone.localdate()
    )
    html = client_for(sales).get("/crm/opportunities/forecast/").content.decode()

    assert 'id="forecast-data"' in html
    assert "1,200.00" in html  # the pipeline amount
    assert "120.00" in html  # weighted by the first stage's 10 %
    assert '"label": "Weighted EUR"' in html


def test_forecast_shows_each_currency_apart(sales, world):
    today = timezone.localdate()
    services.opportunity_update(opportunity=world["opportunity"], expected_close_date=today)
    services.opportunity_create(
        account=world["acme"],
        name="Dollars",
        amount="5000.00",
        currency="USD",
        expected_close_date=today,
    )

    html = client_for(sales).get("/crm/opportunities/forecast/").content.decode()
    tables = dict(re.findall(r'data-currency="(\w+)">(.*?)</table>', html, re.S))

    assert list(tables) == ["EUR", "USD"]
    assert "1,200.00" in tables["EUR"]
    assert "5,000.00" not in tables["EUR"]
    assert "5,000.00" in tables["USD"]
    assert "1,200.00" not in tables["USD"]
    assert "6,200.00" not in html  # never added up


# ------------------------------------------------------------------ marketing


def test_campaign_wizard_sends_to_consenting_contacts(marketing, world, mailoutbox):
    acme = world["acme"]
    services.contact_create(account=acme, first_name="No", email="no@acme.example")
    segment = world["segment"]
    client = client_for(marketing)

    response = client.post("/crm/campaigns/new/", {"name": "Launch", "segment": segment.pk})
    campaign = Campaign.objects.get(name="Launch")
    assert response["Location"] == f"/crm/campaigns/{campaign.pk}/content/"

    content = {"subject": "Hello {{ contact.first_name }}", "body": "Dear {{ account.name }}"}
    preview = client.post(f"/crm/campaigns/{campaign.pk}/content/", {**content, "preview": "1"})
    assert "Hello Person0" in preview.content.decode()
    assert "Dear Acme Oy" in preview.content.decode()

    response = client.post(f"/crm/campaigns/{campaign.pk}/content/", content)
    assert response["Location"] == f"/crm/campaigns/{campaign.pk}/review/"

    review = client.get(f"/crm/campaigns/{campaign.pk}/review/").content.decode()
    assert re.search(r'data-testid="recipient-count">1<', review)

    response = client.post(f"/crm/campaigns/{campaign.pk}/review/")
    assert response["Location"] == f"/crm/campaigns/{campaign.pk}/"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    assert [message.to for message in mailoutbox] == [["p0@acme.example"]]
    assert mailoutbox[0].subject == "Hello Person0"

    # Sending twice is a message, not an error page.
    again = client.post(f"/crm/campaigns/{campaign.pk}/review/", follow=True)
    assert again.status_code == 200
    assert len(mailoutbox) == 1


def test_segment_form_previews_count_and_saves_criteria(marketing, world):
    client = client_for(marketing)

    preview = client.post("/crm/segments/preview/", {"country": "fi"}).content.decode()
    assert re.search(r"<strong>1</strong> account", preview)

    response = client.post(
        "/crm/segments/new/", {"name": "Software", "industry": "Software", "status": "prospect"}
    )
    assert response.status_code == 302
    assert Segment.objects.get(name="Software").criteria == {
        "industry": "Software",
        "status": "prospect",
    }


def test_sales_user_cannot_edit_campaigns(sales, world):
    client = client_for(sales)
    assert client.get("/crm/campaigns/").status_code == 200
    assert 'data-testid="new"' not in client.get("/crm/campaigns/").content.decode()
    assert client.post("/crm/campaigns/new/", {"name": "X"}).status_code == 403


# ------------------------------------------------------------------ import


def upload(text: str, name="accounts.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_csv_import_preview_with_errors_writes_nothing(sales):
    client = client_for(sales)
    csv_text = "name,status,website\nGood Oy,active,https://good.example\n,active,\nBad,weird,\n"

    response = client.post("/crm/import/", {"kind": "accounts", "file": upload(csv_text)})

    html = response.content.decode()
    assert 'data-testid="import-errors"' in html
    assert html.count('data-testid="row-error"') == 2
    assert 'data-testid="import-confirm"' not in html
    assert not Account.objects.exists()


def test_csv_import_valid_file_is_written_after_confirmation(sales):
    client = client_for(sales)
    csv_text = "name,status\nGood Oy,active\nBetter Ab,prospect\n"

    preview = client.post("/crm/import/", {"kind": "accounts", "file": upload(csv_text)})
    assert 'data-testid="import-confirm"' in preview.content.decode()
    assert not Account.objects.exists()

    response = client.post("/crm/import/", {"confirm": "1"})
    assert response["Location"] == "/crm/accounts/"
    assert set(Account.objects.values_list("name", flat=True)) == {"Good Oy", "Better Ab"}


# ------------------------------------------------------------------ roles and dashboard


def test_manager_reads_everything_but_edits_nothing(manager, world):
    client = client_for(manager)
    for url in page_urls(world):
        if url.endswith(("/new/", "/edit/", "/convert/")) or "/new/?" in url or "import" in url:
            assert client.get(url).status_code == 403, url
        else:
            assert client.get(url).status_code == 200, url
    detail = client.get(f"/crm/accounts/{world['acme'].pk}/").content.decode()
    assert 'data-testid="edit"' not in detail
    assert 'data-testid="merge-open"' not in detail
    assert 'data-testid="new"' not in client.get("/crm/accounts/").content.decode()
    assert client.post("/crm/accounts/new/", account_post(name="Nope")).status_code == 403
    assert client.post(f"/crm/activities/{world['task'].pk}/complete/").status_code == 403


def test_user_without_crm_area_gets_403(make_user):
    client = client_for(make_user(roles=["HR"]))
    assert client.get("/crm/accounts/").status_code == 403


def test_dashboard_lists_my_open_tasks_and_completes_them(sales, world):
    client = client_for(sales)

    html = client.get("/").content.decode()
    assert 'data-testid="my-open-tasks"' in html
    assert "Call Aino" in html

    response = client.post(f"/crm/activities/{world['task'].pk}/complete/", {"next": "/"})
    assert response["Location"] == "/"
    assert Activity.objects.get(pk=world["task"].pk).done
    assert "Call Aino" not in client.get("/").content.decode()


def test_contact_model_is_untouched_by_list_pages(sales, world):
    # A GET never writes: the list pages only read.
    before = Contact.objects.count()
    client_for(sales).get("/crm/contacts/?format=csv")
    assert Contact.objects.count() == before


def test_tampered_cursor_and_bad_filters_never_fail(sales, world):
    client = client_for(sales)

    assert client.get("/crm/accounts/?cursor=bogus").status_code == 200
    # A well-formed cursor whose value does not fit the sort field starts over.
    from integration.pages import _encode

    cursor = _encode({"v": "not a date", "id": 1, "d": "n"})
    response = client.get(f"/crm/accounts/?sort=updated_at&cursor={cursor}")
    assert response.status_code == 200
    assert "Acme Oy" in response.content.decode()
    assert client.get("/crm/accounts/?owner=abc&status=nope&sort=password").status_code == 200
