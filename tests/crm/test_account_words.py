"""The account words (crm.models.AccountWord): kept by PostgreSQL whatever writes an account
or a contact, and a one-word search's pages read from them, the same as a sort of every
match."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm import selectors, services
from crm.models import Account, AccountWord, Contact, SearchWord
from integration.services import api_token_create
from tests.factories.crm import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/crm/accounts/"


def words(account: Account) -> set[tuple[str, str]]:
    """The account's (kind, key) rows; every row carries the account's current name."""
    rows = AccountWord.objects.filter(account_id=account.pk)
    assert {row.name for row in rows} <= {Account.objects.get(pk=account.pk).name}
    for row in rows:
        assert row.word == (row.key if row.kind == "n" else row.key[:3])
    return {(row.kind, row.key) for row in rows}


def in_order(accounts: list[Account], keys: tuple[str, ...]) -> list[Account]:
    """`accounts` sorted by `keys` ("name", "id"; all ascending or all descending)."""
    return sorted(
        accounts,
        key=lambda account: [getattr(account, k.lstrip("-")) for k in keys],
        reverse=keys[0].startswith("-"),
    )


def test_the_database_keeps_each_accounts_words_whatever_writes_them():
    account = services.account_create(name="Kaleva-Timber Ab 2024")
    # Letter runs of three or more: "Ab" and the number are not words here.
    assert words(account) == {("n", "kaleva"), ("n", "timber")}

    anna = services.contact_create(
        account=account, first_name="ANNA-LIISA", last_name="Äijälä", email="a.b@nordicmail.example"
    )
    # The leading ASCII letters of each name word, of the address ("a": too short) and of
    # its domain; "äijälä" starts with a letter beyond ASCII, which no such term starts.
    assert words(account) == {
        ("n", "kaleva"),
        ("n", "timber"),
        ("c", "anna"),
        ("c", "liisa"),
        ("c", "nordicmail"),
    }

    services.account_update(account=account, name="Nordic Timber Oy")
    assert words(account) == {
        ("n", "nordic"),
        ("n", "timber"),
        ("c", "anna"),
        ("c", "liisa"),
        ("c", "nordicmail"),
    }

    services.contact_update(contact=anna, email="anna@kaleva.example", last_name="Virtanen")
    assert {key for kind, key in words(account) if kind == "c"} == {
        "anna",
        "liisa",
        "virtanen",
        "kaleva",
    }

    # A merge moves the duplicate's contacts (an UPDATE of their account): both accounts'
    # words follow, and the duplicate's go with it.
    duplicate = AccountFactory(name="Nordic Timber Ltd")
    ContactFactory(account=duplicate, first_name="Pekka", last_name="Laine", email="")
    services.account_merge(into=account, duplicate=duplicate)
    assert not AccountWord.objects.filter(account_id=duplicate.pk).exists()
    assert {("c", "pekka"), ("c", "laine")} <= words(account)

    services.contact_delete(contact=anna)
    assert {key for kind, key in words(account) if kind == "c"} == {"pekka", "laine"}

    # Rows written outside the services (a bulk load, the admin) are kept the same way.
    Contact.objects.bulk_create(
        [Contact(account=account, first_name="Bulk", last_name="Loaded", email="")]
    )
    Account.objects.filter(pk=account.pk).update(name="Renamed Oy")
    assert words(account) == {
        ("n", "renamed"),
        *{("c", key) for key in ("pekka", "laine", "bulk", "loaded")},
    }
    # Each word is listed once for the term lookups, and stays listed.
    assert SearchWord.objects.filter(kind="n", word="kaleva").count() == 1

    services.account_delete(account=account)
    assert not AccountWord.objects.filter(account_id=account.pk).exists()


def _matches(term: str) -> list[Account]:
    """What a one-word search finds, by its rules, computed in Python: the term in the
    name, or at the start of a contact's name word, address or domain."""
    term = term.lower()
    found = []
    for account in Account.objects.prefetch_related("contacts"):
        in_name = term in account.name.lower()
        by_contact = any(
            any(
                word.lower().startswith(term)
                for word in contact.full_name.replace("-", " ").split()
            )
            or contact.email.lower().startswith(term)
            or contact.email.lower().partition("@")[2].startswith(term)
            for contact in account.contacts.all()
        )
        if in_name or by_contact:
            found.append(account)
    return found


@pytest.fixture
def nordic(monkeypatch):
    """Accounts that "nordic" finds in every way, among others it does not find."""
    monkeypatch.setattr(selectors, "BROAD_SEARCH", 2)  # broad: its pages are walked or read
    Account.objects.bulk_create(
        Account(name=f"Alpha {i:03d} Oy", normalized_name=f"alpha {i}") for i in range(60)
    )
    for i in range(5):
        AccountFactory(name=f"Nordic {i} Ab", status="active" if i % 2 else "prospect")
    AccountFactory(name="NORDICA Foods")  # another word that contains the term
    AccountFactory(name="Scandinordic Oy")  # the term inside a word
    by_mail = AccountFactory(name="Plain Oy", status="active")
    ContactFactory(account=by_mail, first_name="Ann", email="ann@nordicmail.example")
    by_name = AccountFactory(name="Person Oy")
    ContactFactory(account=by_name, first_name="Nordica", last_name="Berg", email="")
    by_address = AccountFactory(name="Äijälä Oy")
    ContactFactory(account=by_address, first_name="Bo", email="nordic.bo@x.example")
    # Not found: the term inside a contact's word, address or domain.
    inside = AccountFactory(name="Inside Oy")
    ContactFactory(account=inside, first_name="Anordica", email="x@scandinordic.example")
    expected = _matches("nordic")
    assert inside not in expected
    assert len(expected) == 10
    return expected


@pytest.mark.parametrize(
    ("ordering", "keys"),
    [
        ("name", ("name", "id")),
        ("-name", ("-name", "-id")),
        ("", ("-id",)),  # the API's default order
        ("id", ("id",)),
    ],
)
def test_a_one_word_search_pages_through_the_account_words(nordic, make_user, ordering, keys):
    expected = in_order(nordic, keys)
    _, raw = api_token_create(user=make_user(roles=["Admin"]), name="t", scopes=["*"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    params = {"search": "Nordic", "page_size": 3, **({"ordering": ordering} if ordering else {})}
    client.get(API, params)  # the first search learns the term is broad

    seen, url, sql = [], API, []
    while url:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params if url == API else None)
        assert response.status_code == 200
        seen += [row["id"] for row in response.json()["results"]]
        url = response.json()["next"]
        sql += [query["sql"] for query in queries]

    assert seen == [account.pk for account in expected]
    # Read from the words, not walked: no account name tested row by row.
    assert any("crm_accountword" in statement for statement in sql)
    assert not any('STRPOS(UPPER("crm_account"."name"' in statement for statement in sql)


def test_a_word_page_keeps_the_lists_filters_and_equals_the_walk(nordic, monkeypatch):
    def page(keys):
        listed = selectors.account_list(search="nordic", filters={"status": "active"})
        return list(listed.order_by(*keys)[:3])

    active = [account for account in nordic if account.status == "active"]
    for keys in (("name", "id"), ("-name", "-id"), ("-id",)):
        from_words = page(keys)
        with monkeypatch.context() as patch:
            patch.setattr(selectors, "WORD_SEARCH_WORDS", 0)  # the walk, for comparison
            walked = page(keys)
        assert from_words == walked == in_order(active, keys)[:3], keys


@pytest.mark.parametrize("term", ["nor", "nord", "nordi", "nordic", "nordicm", "nordicmail"])
def test_terms_of_every_length_find_their_contacts_in_name_order(nordic, term):
    """Three or four letters read every contact word under the first three; five or more
    read their own range of crm_word_contact_name in name order, cut by the whole term.
    A narrow term ("nordicmail": one account) lists its few ids instead."""
    expected = _matches(term)
    broad = len(expected) > selectors.BROAD_SEARCH  # else its few ids are listed
    for keys in (("name", "id"), ("-name", "-id"), ("-id",)):
        with CaptureQueriesContext(connection) as queries:
            page = list(selectors.account_list(search=term).order_by(*keys)[:20])
        assert page == in_order(expected, keys), (term, keys)
        by_bucket = any("left(w.key" in query["sql"] for query in queries)
        assert by_bucket == (broad and len(term) >= 5 and keys[0] != "-id"), (term, keys)


def test_a_broad_words_whole_list_is_every_match(nordic):
    """What a count or a CSV export reads: the list unsliced, where the words are one
    condition (no page reads them for it)."""
    listed = selectors.account_list(search="nordic")
    assert selectors.account_search("nordic").ids is None  # broad
    assert list(listed.order_by("name", "id")) == in_order(nordic, ("name", "id"))
    assert listed.count() == len(nordic)
    active = selectors.account_list(search="nordic", filters={"status": "active"})
    assert active.count() == len([account for account in nordic if account.status == "active"])


def test_an_order_the_words_do_not_keep_walks(nordic):
    # Another column, or columns that run different ways (no row comparison bounds them).
    orders = [
        (("updated_at", "id"), lambda a: (a.updated_at, a.id)),
        (("-created_at", "-id"), lambda a: (-a.created_at.timestamp(), -a.id)),
        (("name", "-id"), lambda a: (a.name, -a.id)),
    ]
    for keys, sort_key in orders:
        with CaptureQueriesContext(connection) as queries:
            page = list(selectors.account_list(search="nordic").order_by(*keys)[:3])
        assert page == sorted(nordic, key=sort_key)[:3], keys
        # No page of the words (AccountWords.page orders its scans by w.<column>).
        assert not any("ORDER BY w." in query["sql"] for query in queries), keys


def test_a_term_the_words_cannot_answer_is_searched_as_before(nordic):
    # Digits, or beyond ASCII: the words hold runs of ASCII letters only.
    AccountFactory(name="Nordic 2024 Oy")
    AccountFactory(name="Äijälä Data Oy")
    for term in ("2024", "äijä"):
        with CaptureQueriesContext(connection) as queries:
            found = list(selectors.account_list(search=term))
        assert found == [
            a for a in Account.objects.order_by("name", "id") if term in a.name.lower()
        ]
        assert not any("crm_accountword" in query["sql"] for query in queries), term


def test_one_account_under_many_contact_words_is_one_match(monkeypatch):
    """Each scan of the words reads a few rows to tell a narrow term from a broad one; an
    account found under several contact words is one account, and the accounts after it
    still count."""
    monkeypatch.setattr(selectors, "BROAD_SEARCH", 2)
    many = AccountFactory(name="Alpha Oy")  # first in every order of the scan
    for first, email in (("Nordica", ""), ("Bo", "nordics@x.example"), ("Cy", "c@nordicmail.ex")):
        ContactFactory(account=many, first_name=first, email=email)
    more = [AccountFactory(name=f"Beta {n} Oy") for n in range(2)]
    for account in more:
        ContactFactory(account=account, first_name="Di", email=f"di{account.pk}@nordicz.example")

    assert selectors.account_search("nordic").ids is None  # three accounts: broad
    assert list(selectors.account_list(search="nordic")) == [many, *more]

    more[1].delete()
    assert selectors.account_search("nordica").ids == [many.pk]  # narrow: listed


@pytest.mark.django_db(transaction=True)
def test_two_transactions_changing_one_accounts_contacts_leave_its_words_exact():
    """Each change of a contact writes its account's contact words again; a second change
    at the same account waits for the first to commit, then reads both."""
    import threading
    import time

    from django.db import connections, transaction

    account = services.account_create(name="Shared Oy")
    first = services.contact_create(account=account, first_name="Aino", last_name="Oldone")
    second = services.contact_create(account=account, first_name="Berit", last_name="Oldtwo")
    updated, started = threading.Event(), threading.Event()
    errors = []

    def change(contact, last_name, *, before=None, after=None):
        try:
            with transaction.atomic():
                if before:
                    before.wait(10)
                    started.set()
                services.contact_update(contact=contact, last_name=last_name)
                if after:
                    after.set()
                    started.wait(10)
                    time.sleep(0.5)  # the other change is now waiting on this one
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=change, args=(first, "Newone"), kwargs={"after": updated}),
        threading.Thread(target=change, args=(second, "Newtwo"), kwargs={"before": updated}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert {key for kind, key in words(account) if kind == "c"} == {
        "aino",
        "newone",
        "berit",
        "newtwo",
    }
