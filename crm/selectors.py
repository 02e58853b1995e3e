"""CRM reads shared by pages, API, admin and demo: lists that cannot N+1, board, forecast."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, models
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.expressions import Expression, RawSQL
from django.db.models.functions import Coalesce, TruncMonth
from django.db.models.lookups import IsNull
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from crm.models import (
    CONTACT_BUCKET,
    Account,
    AccountWord,
    Activity,
    Campaign,
    CampaignMember,
    Contact,
    Lead,
    Opportunity,
    Pipeline,
    SearchWord,
    Segment,
    Stage,
    Tag,
)
from integration.prepared import Statement
from integration.search import (
    HoldsText,
    email_address_q,
    is_words,
    name_q,
    person_q,
    with_email_aliases,
)
from integration.walking import InArray, walked


class FullName(models.Func):
    """first_name || ' ' || last_name: the expression the trigram index is built on."""

    template = "(%(expressions)s)"
    arg_joiner = " || "
    output_field = models.CharField()

    def __init__(self, prefix: str = "") -> None:
        super().__init__(F(f"{prefix}first_name"), Value(" "), F(f"{prefix}last_name"))


# ---------------------------------------------------------------- filter values

ACCOUNT_FILTERS = (
    "owner", "status", "industry", "tag", "country", "kind", "parent",
    "updated_since", "created_after", "created_before",
)  # fmt: skip
# What a segment may save: the account filters that describe a market, not a moment.
SEGMENT_CRITERIA = (
    "owner", "status", "industry", "tag", "country", "kind", "created_after", "created_before",
)  # fmt: skip


def _values(value: Any) -> list[str]:
    """A filter value as a list of non-empty strings ("a,b" or ["a", "b"])."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple | set) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _ids(name: str, value: Any) -> list[int | None]:
    result: list[int | None] = []
    for item in _values(value):
        if item.lower() in {"none", "null"}:
            result.append(None)
            continue
        try:
            result.append(int(item))
        except ValueError:
            raise ValidationError({name: [f"{item!r} is not an id."]}) from None
    return result


def _id_filter(field: str, ids: list[int | None]) -> Q:
    q = Q(**{f"{field}__in": [i for i in ids if i is not None]})
    if None in ids:
        q |= Q(**{f"{field}__isnull": True})
    return q


def _moment(name: str, value: Any, *, end_of_day: bool = False) -> dt.datetime | None:
    """A datetime or date (string or object) as an aware datetime; a date bound covers its day."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time.min)
        if end_of_day:
            moment += dt.timedelta(days=1)
    else:
        text = str(value).strip()
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            if day is None:
                raise ValidationError({name: ["Give a date (YYYY-MM-DD) or an ISO datetime."]})
            return _moment(name, day, end_of_day=end_of_day)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _day(name: str, value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    day = parse_date(str(value).strip())
    if day is None:
        raise ValidationError({name: ["Give a date (YYYY-MM-DD)."]})
    return day


def clean_account_filters(filters: dict[str, Any], *, allowed: Iterable[str] = ACCOUNT_FILTERS):
    """Check filter names and values; raises ValidationError {name: [message]}."""
    allowed = tuple(allowed)
    errors: dict[str, list[str]] = {}
    for name, value in filters.items():
        if name not in allowed:
            errors[name] = [f"Unknown filter; use one of {', '.join(allowed)}."]
            continue
        try:
            _account_filter_q(name, value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return {name: value for name, value in filters.items() if value not in (None, "", [])}


def _account_filter_q(name: str, value: Any) -> Q:
    if name == "owner":
        return _id_filter("owner", _ids(name, value))
    if name == "parent":
        return _id_filter("parent", _ids(name, value))
    if name == "status":
        statuses = _values(value)
        unknown = set(statuses) - set(Account.Status.values)
        if unknown:
            raise ValidationError({name: [f"Unknown status {sorted(unknown)[0]!r}."]})
        return Q(status__in=statuses)
    if name == "kind":
        return Q(kind__in=_values(value))
    if name == "industry":
        q = Q()
        for industry in _values(value):
            q |= Q(industry__iexact=industry)
        return q
    if name == "country":
        return Q(billing_country__in=[c.upper() for c in _values(value)])
    if name == "tag":
        tags = Account.tags.through.objects.filter(
            account_id=OuterRef("pk"), tag__name__in=_values(value)
        )
        return Q(Exists(tags))
    if name == "updated_since":
        return Q(updated_at__gte=_moment(name, value))
    if name == "created_after":
        return Q(created_at__gte=_moment(name, value))
    if name == "created_before":
        return Q(created_at__lt=_moment(name, value, end_of_day=True))
    raise ValidationError({name: ["Unknown filter."]})


def _ordering(ordering: str, allowed: dict[str, tuple[str, ...]], default: str) -> tuple[str, ...]:
    """A keyset-friendly ordering: every one ends with the id, in the same direction."""
    return allowed.get(ordering or default, allowed[default])


ACCOUNT_ORDERINGS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
}


# ---------------------------------------------------------------- accounts


def account_list(
    *,
    filters: dict[str, Any] | None = None,
    search: str = "",
    ordering: str = "name",
    with_counts: bool = False,
) -> QuerySet[Account]:
    """Accounts with owner and tags loaded; filters as in ACCOUNT_FILTERS (lists allowed).

    `search` matches the name or a contact's name or e-mail (no duplicate rows, see
    account_search): one word by "contains" (a word's start when shorter than three
    characters), several words as words in any order (words_q), a term with "@" by e-mail
    address (email_address_q). A broad search (more than BROAD_SEARCH matches) comes
    without_count: its lists skip the count; its pages walk the list in page order, then
    sort what is left (integration.walking). `ordering` is the list's order.
    `with_counts` adds contacts_count, open_opportunities_count, open_opportunities_value
    (in the account's currency).
    """
    qs = Account.objects.select_related("owner").prefetch_related("tags")
    for name, value in clean_account_filters(filters or {}).items():
        qs = qs.filter(_account_filter_q(name, value))
    search = (search or "").strip()
    if search:
        found = account_search(search)
        if found.ids is not None:
            qs = qs.filter(pk__in=found.ids)
        else:
            qs = _account_broad_search(qs, search, found)
    if with_counts:
        qs = with_account_counts(qs)
    return qs.order_by(*_ordering(ordering, ACCOUNT_ORDERINGS, "name"))


def account_tag_names(account_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each account's tag names in name order, in one query: a list page's tags without
    model instances or a prefetch per page. On PostgreSQL it is a prepared statement
    (integration.prepared): built with the ORM, the query for a page of 50 ids cost the
    web server 0.77 ms a request; prepared, 0.16 ms in all."""
    ids = list(account_ids)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            _account_tag_names_statement().execute(cursor, [ids])
            rows = cursor.fetchall()
    else:
        rows = (
            Account.tags.through.objects.filter(account_id__in=ids)
            .order_by("tag__name")
            .values_list("account_id", "tag__name")
        )
    names: dict[int, list[str]] = {}
    for account_id, name in rows:
        names.setdefault(account_id, []).append(name)
    return names


@functools.cache
def _account_tag_names_statement() -> Statement:
    """(account id, tag name) of the accounts in an array of ids, by tag name."""
    qn = connection.ops.quote_name
    through = Account.tags.through._meta
    account = qn(through.get_field("account").column)
    tag = qn(through.get_field("tag").column)
    return Statement(
        "crm_account_tag_names",
        f"SELECT at.{account}, t.{qn(Tag._meta.get_field('name').column)} "  # noqa: S608 - names from the models
        f"FROM {qn(through.db_table)} at INNER JOIN {qn(Tag._meta.db_table)} t "
        f"ON t.{qn(Tag._meta.pk.column)} = at.{tag} "
        f"WHERE at.{account} = ANY(%s) ORDER BY 2",
        ("bigint[]",),
    )


def _contact_search_q(contacts: QuerySet[Contact], search: str) -> QuerySet[Contact]:
    """Contacts matching `search` by their full name or e-mail (integration.search.person_q)."""
    named = with_email_aliases(contacts).alias(search_name=FullName())
    return named.filter(person_q("search_name", search))


# A search that more accounts match than this is broad: it is not counted, and its page is
# found by a walk or a sort of every match (see account_list).
BROAD_SEARCH = 1_000
# How many matching contacts account_search reads to learn which accounts they are at:
# more, at more than BROAD_SEARCH accounts, and their accounts are not listed.
CONTACT_PROBE = 5_000
# How long a term found broad is remembered as such (its searches then skip the probes).
BROAD_SEARCH_SECONDS = 600


@dataclass(frozen=True)
class AccountSearch:
    """What account_search found: every matching account's id (`ids`) or, for a broad
    search (`ids` None), the accounts found through their contacts when they are few
    enough to list (`through_contacts`; None: too many, each account's are looked at), and
    the term's account words where they answer it (`words`, see AccountWords)."""

    ids: list[int] | None
    through_contacts: list[int] | None = None
    words: AccountWords | None = None


def account_search_sides(search: str) -> tuple[QuerySet[Account] | None, QuerySet[Contact]]:
    """The accounts whose name matches `search` (None for an e-mail address: it is not part
    of a company name) and the contacts that match it, each answered by its own indexes."""
    search = search.strip()
    contacts = _contact_search_q(Contact.objects.all(), search).order_by()
    if email_address_q(search) is not None:
        return None, contacts
    return Account.objects.filter(name_q("name", search)).order_by(), contacts


def account_search(search: str) -> AccountSearch:
    """The accounts `search` finds by their name or by a contact's name or e-mail (the
    rules of name_q and _contact_search_q).

    Each side is read through its own index and stops early: the names after
    BROAD_SEARCH + 1 matches, the contacts after CONTACT_PROBE. A narrow search (at most
    BROAD_SEARCH accounts) costs what its matches cost and gets every id, which the page
    then sorts. A broad one ("data", an industry in thousands of names) would have to
    fetch and sort every match to show its first page, so account_list walks the accounts
    in page order for it instead. A side found broad is remembered for
    BROAD_SEARCH_SECONDS, so a common word's next searches skip its probe.

    A one-word term of ASCII letters on PostgreSQL is answered from the account words
    instead (account_words, _account_search_by_words), which also give its broad pages.
    """
    key = "crm:broad-search:" + hashlib.sha256(search.strip().lower().encode()).hexdigest()
    known = cache.get(key) or ""
    words = account_words(search)
    if words is not None:
        return _account_search_by_words(words, key, known)
    names, contacts = account_search_sides(search)
    found: set[int] = set()
    names_broad = "names" in known
    if names is not None and not names_broad:
        found.update(names.values_list("pk", flat=True)[: BROAD_SEARCH + 1])
        names_broad = len(found) > BROAD_SEARCH
    # The contacts' accounts, listed (a set) unless too many contacts match, spread over
    # too many accounts (None: account_list looks at each account's contacts).
    through: set[int] | None = None
    if "contacts" not in known:
        rows = list(contacts.values_list("account_id", flat=True)[:CONTACT_PROBE])
        through = set(rows)
        if len(rows) == CONTACT_PROBE and len(through) > BROAD_SEARCH:
            through = None
        elif len(rows) == CONTACT_PROBE:
            # Many contacts at few accounts (a company's own domain): those accounts.
            through = set(contacts.values_list("account_id", flat=True).distinct())
    remembered = " ".join(
        side for side, broad in (("names", names_broad), ("contacts", through is None)) if broad
    )
    if remembered and remembered != known:
        cache.set(key, remembered, BROAD_SEARCH_SECONDS)
    if through is None:
        return AccountSearch(ids=None)
    if remembered or len(found | through) > BROAD_SEARCH:
        return AccountSearch(ids=None, through_contacts=sorted(through))
    return AccountSearch(ids=sorted(found | through))


def _account_search_by_words(words: AccountWords, key: str, known: str) -> AccountSearch:
    """account_search from the account words: the matching accounts' ids, read up to one
    more than BROAD_SEARCH (a broad term is remembered as such, as the sides' probes are)."""
    if "words" not in known:
        ids = words.first_accounts(BROAD_SEARCH + 1)
        if len(ids) <= BROAD_SEARCH:
            return AccountSearch(ids=sorted(ids), words=words)
        cache.set(key, "words", BROAD_SEARCH_SECONDS)
    return AccountSearch(ids=None, words=words)


# How many accounts a broad search's page may walk per row it shows, by the field its order
# starts with (an index keeps each in order: crm_account_name, the primary key,
# crm_account_updated), before it sorts what is left (integration.walking). Names cluster
# in name order: "Aalto Data …" follows 600 other "Aalto …" names, and the next
# "… Data …" names come 25,000 names later, at 1M; in the other orders matches are spread.
# A name is tested (STRPOS) in about a microsecond; looking at an account's contacts takes
# some 13 µs, so that walk is kept short in every order.
WALK_ROWS_PER_MATCH = {"name": 1_000, "id": 100, "updated_at": 100}
WALK_ROWS_PER_MATCH_LOOKING_AT_CONTACTS = 100


def _account_broad_search(
    qs: QuerySet[Account], search: str, found: AccountSearch
) -> QuerySet[Account]:
    """`qs` filtered by a broad search, whose pages walk the list in page order, then sort
    what is left (integration.walking); its sides are the names and the contacts."""

    def sides() -> list[Q]:
        names, contacts = account_search_sides(search)
        if found.through_contacts is not None:
            contacts_side = Q(pk__in=found.through_contacts)
        else:
            # The matching contacts' accounts, read once and looked up by id (InArray),
            # not each account's contacts looked up in name order, which passes every
            # account before a cluster of matches ("nordic": 6.5 s at 1M).
            contacts_side = Q(InArray("pk", contacts.values("account_id")))
        return [contacts_side] if names is None else [name_q("name", search), contacts_side]

    words = found.words
    return walked(
        qs,
        # Built only for a page that walks: the words answer the others.
        rows=lambda: _account_broad_q(search, found),
        sides=sides,
        rows_per_match=(
            WALK_ROWS_PER_MATCH
            if found.through_contacts is not None
            else dict.fromkeys(WALK_ROWS_PER_MATCH, WALK_ROWS_PER_MATCH_LOOKING_AT_CONTACTS)
        ),
        at_least=BROAD_SEARCH + 1,
        every=None if words is None else Q(_HeldByWords(words)),
        listed=None if words is None else words.page,
    )


# A one-word search is answered from the account words (crm.models.AccountWord) when it
# is in at most this many name words; more ("ann": Anna, Hannu, Johanna, …) and it walks.
WORD_SEARCH_WORDS = 40
# The orders the account words keep, by the list's field: their own column.
_WORD_COLUMNS = {"name": "name", "id": "account_id"}
_LETTERS = re.compile(r"[A-Za-z]{3,}")


@dataclass(frozen=True)
class AccountWords:
    """A one-word term's account words (crm.models.AccountWord): the name words that
    contain it (`names`) and whether a contact word starts with it (`contacts`: those are
    read under the term's first three letters). The accounts they hold are exactly the
    ones the term finds by the rules of name_q and _contact_search_q."""

    term: str
    names: tuple[str, ...]
    contacts: bool

    def _scans_sql(self, *, by_name: bool = False) -> list[tuple[str, list[Any]]]:
        """One SQL condition per index range of AccountWord rows (aliased `w`): each name
        word, and the contact words that start with the term (the term is ASCII letters:
        nothing in it is special to LIKE). `by_name`: for a scan in name order,
        where a term of CONTACT_BUCKET letters or more reads its contacts' range of
        crm_word_contact_name instead of every row under its first three letters."""
        scans: list[tuple[str, list[Any]]] = [
            ("w.kind = %s AND w.word = %s", [AccountWord.Kind.NAME.value, word])
            for word in self.names
        ]
        if self.contacts:
            contact, starts = AccountWord.Kind.CONTACT.value, self.term + "%"
            if by_name and len(self.term) >= CONTACT_BUCKET:
                # The whole term tested inside a CASE: PostgreSQL takes a LIKE to be
                # independent of the bucket it refines, expects a few rows of a range
                # that holds thousands, and reads and sorts all of them ("karhu" at 1M:
                # 18,545 rows, 27 ms) instead of the first page in name order (0.1 ms).
                bucket = f"left(w.key, {CONTACT_BUCKET}) = %s"
                scans.append(
                    (
                        f"w.kind = %s AND {bucket} AND CASE WHEN w.key LIKE %s THEN true END",
                        [contact, self.term[:CONTACT_BUCKET], starts],
                    )
                )
            else:
                under = [contact, self.term[:3], starts]
                scans.append(("w.kind = %s AND w.word = %s AND w.key LIKE %s", under))
        return scans

    def _any_scan_sql(self) -> tuple[str, list[Any]]:
        """SQL: the row is in one of the scans (an OR of them); "false" for no scan."""
        scans = self._scans_sql()
        if not scans:
            return "false", []
        where = " OR ".join(f"({scan})" for scan, _ in scans)
        return where, [param for _, params in scans for param in params]

    def first_accounts(self, limit: int) -> set[int]:
        """Every matching account's id if fewer than `limit` match, else at least `limit`
        of them. Each scan reads at most `limit` rows from its index, in one query: an OR
        of the scans would gather every row of each before a DISTINCT ("nordic" at 1M:
        74,000 rows, 390 ms)."""
        scans = self._scans_sql()
        if not scans:
            return set()
        table = AccountWord._meta.db_table
        parts = [f"(SELECT w.account_id FROM {table} w WHERE {scan} LIMIT %s)" for scan, _ in scans]  # noqa: S608
        params = [param for _, scan_params in scans for param in (*scan_params, limit)]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            read = [account_id for (account_id,) in cursor.fetchall()]
            ids = set(read)
            if len(ids) < limit <= len(read):
                # A scan may have stopped at `limit` rows over fewer accounts (an account's
                # contacts under several keys): ask for the distinct accounts themselves.
                where, where_params = self._any_scan_sql()
                cursor.execute(
                    f"SELECT DISTINCT w.account_id FROM {table} w WHERE {where} LIMIT %s",  # noqa: S608
                    [*where_params, limit],
                )
                ids = {account_id for (account_id,) in cursor.fetchall()}
        return ids

    def page(self, unsearched: QuerySet, keys, wanted: int) -> RawSQL | None:
        """A query of the ids of the first `wanted` accounts of the list `unsearched` (after
        its cursor, in its order) that the term finds (walking.Listed): for each scan, its
        accounts from where the page starts, a page of them, each tested against the list
        (its filters, its cursor). It costs a page per scan, wherever the page is and
        however many accounts match: "nordic" at 1M, 18,000 accounts in name order after
        600,000 others. None for an order the words do not keep (updated_at, or one whose
        columns do not all run the same way).

        Written in SQL around two compiled pieces of the list (its first row, and the test
        of one account), each compiled once: built with the ORM, every scan compiled the
        list again for each value of its start and for its test, which cost more than the
        query took to run. A list of every account (no filter, no cursor: a search's first
        page) needs neither, and PostgreSQL plans the statement in half the time without
        them."""
        descending = {desc for _, desc in keys}
        if len(descending) > 1 or any(field.attname not in _WORD_COLUMNS for field, _ in keys):
            return None
        scans = self._scans_sql(by_name=keys[0][0].attname == "name")
        if not scans:
            return RawSQL("SELECT NULL::bigint WHERE false", ())
        fields = [field.attname for field, _ in keys]
        columns = ", ".join(f"w.{_WORD_COLUMNS[name]}" for name in fields)
        by = ", ".join(
            f"w.{_WORD_COLUMNS[name]} {'DESC' if desc else 'ASC'}"
            for name, (_, desc) in zip(fields, keys, strict=True)
        )
        listed, listed_params = "", []
        if unsearched.query.where:
            # From the page's first row on (inclusive: not before it in the list's order,
            # a row comparison that bounds the index scan; its subquery runs once) ...
            first, first_params = unsearched.values_list(*fields)[:1].query.sql_with_params()
            # ... each account tested against the list by its primary key.
            one = unsearched.filter(pk=RawSQL("w.account_id", ())).order_by().values("pk")[:1]
            test, test_params = one.query.sql_with_params()
            not_before = "<=" if descending.pop() else ">="
            listed = f" AND ({columns}) {not_before} ({first}) AND ({test}) IS NOT NULL"
            listed_params = [*first_params, *test_params]
        parts, params = [], []
        for scan, scan_params in scans:
            parts.append(
                f"(SELECT w.account_id FROM {AccountWord._meta.db_table} w WHERE {scan}{listed} "  # noqa: S608 - compiled SQL
                f"ORDER BY {by} LIMIT %s)"
            )
            params += [*scan_params, *listed_params, wanted]
        return RawSQL(" UNION ALL ".join(parts), params)  # noqa: S611 - compiled SQL, bound params


class _HeldByWords(Expression):
    """The account is one the account words hold: `pk IN (SELECT account_id FROM
    crm_accountword WHERE <scan> OR …)`. Written when compiled, by a count or an export:
    a page reads the words itself (AccountWords.page) and never compiles it, and building
    it as a queryset cost a broad search's every request some 0.3 ms."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, words: AccountWords, pk: Any = None) -> None:
        super().__init__(output_field=models.BooleanField())
        self.words = words
        self.pk = F("pk") if pk is None else pk

    def get_source_expressions(self) -> list[Any]:
        return [self.pk]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.pk,) = exprs

    def as_sql(self, compiler, connection, **extra_context):
        if not self.words.names and not self.words.contacts:
            raise EmptyResultSet
        pk, params = compiler.compile(self.pk)
        where, where_params = self.words._any_scan_sql()
        sql = f"{pk} IN (SELECT w.account_id FROM {AccountWord._meta.db_table} w WHERE {where})"  # noqa: S608
        return sql, (*params, *where_params)


def account_words(search: str) -> AccountWords | None:
    """The account words of a one-word search of three or more ASCII letters, in one query
    (a trigram index on SearchWord); None where they cannot answer: another kind of term,
    SQLite, or a term in more than WORD_SEARCH_WORDS name words."""
    term = search.strip()
    if connection.vendor != "postgresql" or not _LETTERS.fullmatch(term):
        return None
    term = term.lower()
    table = SearchWord._meta.db_table
    name, contact = AccountWord.Kind.NAME.value, AccountWord.Kind.CONTACT.value
    with connection.cursor() as cursor:
        cursor.execute(
            f"(SELECT kind, word FROM {table} WHERE kind = %s AND word::text LIKE %s LIMIT %s)"  # noqa: S608
            f" UNION ALL (SELECT kind, word FROM {table} WHERE kind = %s AND word::text LIKE %s"
            " LIMIT 1)",
            [name, f"%{term}%", WORD_SEARCH_WORDS + 1, contact, f"{term}%"],
        )
        found = cursor.fetchall()
    names = tuple(sorted(word for kind, word in found if kind == name))
    if len(names) > WORD_SEARCH_WORDS:
        return None
    return AccountWords(term=term, names=names, contacts=len(names) < len(found))


def _account_broad_q(search: str, found: AccountSearch) -> Q:
    """`search` tested row by row, for the walk of a broad search in page order.
    The contacts' accounts are a list when account_search could list them; otherwise each
    account's contacts are looked at (a scalar subquery: PostgreSQL would turn an EXISTS
    into a hash of every matching contact, built before the first row)."""
    if found.through_contacts is not None:
        contacts = Q(pk__in=found.through_contacts)
    else:
        first = _contact_search_q(Contact.objects.filter(account_id=OuterRef("pk")), search)
        contacts = Q(IsNull(Subquery(first.order_by().values("pk")[:1]), False))
    if email_address_q(search) is not None:
        return contacts
    if is_words(search) or len(search) < 3:
        return name_q("name", search) | contacts
    return Q(HoldsText("name", search)) | contacts


def _count(qs: QuerySet) -> Coalesce:
    counted = qs.order_by().values("account_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


def with_account_counts(qs: QuerySet[Account]) -> QuerySet[Account]:
    """Per-row counts as correlated subqueries (a join would multiply rows)."""
    open_opps = Opportunity.objects.filter(account_id=OuterRef("pk"), status="open")
    # The value in the account's currency: amounts in other currencies do not add up.
    value = (
        open_opps.filter(currency=OuterRef("currency"))
        .order_by()
        .values("account_id")
        .annotate(v=Sum("amount"))
        .values("v")
    )
    return qs.annotate(
        contacts_count=_count(Contact.objects.filter(account_id=OuterRef("pk"))),
        open_opportunities_count=_count(open_opps),
        open_opportunities_value=Coalesce(
            Subquery(value, output_field=models.DecimalField(max_digits=14, decimal_places=2)),
            Decimal("0.00"),
        ),
    )


def account_detail(*, pk: int) -> Account:
    """One account with what its page shows next to it (raises Account.DoesNotExist)."""
    return Account.objects.select_related("owner", "parent").prefetch_related("tags").get(pk=pk)


def account_duplicates(
    *, name: str, website: str = "", email: str = "", exclude_id: int | None = None
) -> QuerySet[Account]:
    """Accounts whose normalised name or domain matches: the create form's warning."""
    from crm.services.accounts import domain_of, normalize_name

    q = Q(normalized_name=normalize_name(name)) if name and name.strip() else Q()
    domain = domain_of(website=website, email=email)
    if domain:
        q |= Q(domain=domain)
    if not q:
        return Account.objects.none()
    qs = Account.objects.filter(q).select_related("owner")
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs.order_by("name", "id")


def conversion_matches(lead: Lead) -> dict[str, QuerySet]:
    """What a lead's conversion could attach to instead of creating new records:
    {"accounts": same e-mail domain or normalised company name, or a contact with the
    lead's e-mail; "contacts": contacts with the lead's e-mail}."""
    from crm.services.accounts import domain_of, normalize_name

    email = (lead.email or "").strip()
    contacts = (
        Contact.objects.filter(email__iexact=email).select_related("account")
        if email
        else Contact.objects.none()
    )
    q = Q()
    domain = domain_of(email=email)
    if domain:
        q |= Q(domain=domain) | Q(
            Exists(Contact.objects.filter(account_id=OuterRef("pk"), email__iendswith=f"@{domain}"))
        )
    if email:
        q |= Q(Exists(Contact.objects.filter(account_id=OuterRef("pk"), email__iexact=email)))
    if lead.company and lead.company.strip():
        q |= Q(normalized_name=normalize_name(lead.company))
    accounts = (
        Account.objects.filter(q).select_related("owner").order_by("name", "id")[:20]
        if q
        else Account.objects.none()
    )
    return {"accounts": accounts, "contacts": contacts.order_by("account__name", "id")[:20]}


# ---------------------------------------------------------------- contacts, leads

CONTACT_ORDERINGS = {
    "name": ("last_name", "first_name", "id"),
    "-name": ("-last_name", "-first_name", "-id"),
    "email": ("email", "id"),
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "-created_at": ("-created_at", "-id"),
}


def contact_list(
    *, filters: dict[str, Any] | None = None, search: str = "", ordering: str = "name"
) -> QuerySet[Contact]:
    """Contacts with account and owner; filters: account, owner, marketing_consent,
    updated_since, email."""
    filters = filters or {}
    qs = Contact.objects.select_related("account", "owner")
    if filters.get("account") not in (None, ""):
        qs = qs.filter(_id_filter("account", _ids("account", filters["account"])))
    if filters.get("owner") not in (None, ""):
        qs = qs.filter(_id_filter("owner", _ids("owner", filters["owner"])))
    if filters.get("marketing_consent") not in (None, ""):
        qs = qs.filter(marketing_consent=_bool(filters["marketing_consent"]))
    if filters.get("email"):
        qs = qs.filter(email__iexact=str(filters["email"]).strip())
    if filters.get("updated_since"):
        qs = qs.filter(updated_at__gte=_moment("updated_since", filters["updated_since"]))
    search = (search or "").strip()
    if search:
        qs = _contact_search(qs, search)
    return qs.order_by(*_ordering(ordering, CONTACT_ORDERINGS, "name"))


# How many contacts a broad contact search's page may walk per row it shows, by the field
# its order starts with (integration.walking). Testing a contact (its full name's words,
# its address) costs some 3 µs; a last name's contacts sit together in last-name order.
CONTACT_WALK_ROWS_PER_MATCH = {"last_name": 100, "id": 100, "updated_at": 100}


def _contact_search(qs: QuerySet[Contact], search: str) -> QuerySet[Contact]:
    """`qs` filtered by `search` (_contact_search_q). A narrow search (at most BROAD_SEARCH
    contacts, read through the indexes) is its ids; a broad one ("virtanen": 60,000
    contacts at 1M, all together in last-name order) walks, then sorts what the walk
    missed, and is not counted, like a broad account search."""
    ids = list(
        _contact_search_q(Contact.objects.all(), search)
        .order_by()
        .values_list("pk", flat=True)[: BROAD_SEARCH + 1]
    )
    if len(ids) <= BROAD_SEARCH:
        return qs.filter(pk__in=ids)
    named = with_email_aliases(qs).alias(search_name=FullName())
    match = person_q("search_name", search)
    return walked(
        named,
        rows=match,
        sides=[match],
        rows_per_match=CONTACT_WALK_ROWS_PER_MATCH,
        at_least=BROAD_SEARCH + 1,
    )


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on", "y"}


LEAD_ORDERINGS = {
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "-score": ("-score", "-id"),
    "name": ("last_name", "first_name", "id"),
    "-updated_at": ("-updated_at", "-id"),
}


def lead_list(
    *, filters: dict[str, Any] | None = None, search: str = "", ordering: str = "-created_at"
) -> QuerySet[Lead]:
    """Leads with owner and campaign; filters: status, source, owner, campaign, updated_since."""
    filters = filters or {}
    qs = Lead.objects.select_related("owner", "campaign", "converted_account")
    if filters.get("status"):
        qs = qs.filter(status__in=_values(filters["status"]))
    if filters.get("source"):
        qs = qs.filter(source__in=_values(filters["source"]))
    if filters.get("owner") not in (None, ""):
        qs = qs.filter(_id_filter("owner", _ids("owner", filters["owner"])))
    if filters.get("campaign") not in (None, ""):
        qs = qs.filter(_id_filter("campaign", _ids("campaign", filters["campaign"])))
    if filters.get("updated_since"):
        qs = qs.filter(updated_at__gte=_moment("updated_since", filters["updated_since"]))
    search = (search or "").strip()
    if search:
        qs = qs.alias(search_name=FullName()).filter(
            Q(search_name__icontains=search)
            | Q(company__icontains=search)
            | Q(email__icontains=search)
        )
    return qs.order_by(*_ordering(ordering, LEAD_ORDERINGS, "-created_at"))


# ---------------------------------------------------------------- opportunities

OPPORTUNITY_ORDERINGS = {
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "-amount": ("-amount", "-id"),
    "amount": ("amount", "id"),
    "expected_close_date": ("expected_close_date", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "name": ("name", "id"),
}


def opportunity_list(
    *, filters: dict[str, Any] | None = None, search: str = "", ordering: str = "-created_at"
) -> QuerySet[Opportunity]:
    """Opportunities with account, stage, contact and owner; filters: account, owner,
    stage, status, pipeline, tag (of the account), updated_since, close_after, close_before."""
    filters = filters or {}
    qs = Opportunity.objects.select_related("account", "stage", "contact", "owner")
    for name in ("account", "owner", "stage"):
        if filters.get(name) not in (None, ""):
            qs = qs.filter(_id_filter(name, _ids(name, filters[name])))
    if filters.get("status"):
        qs = qs.filter(status__in=_values(filters["status"]))
    if filters.get("pipeline") not in (None, ""):
        qs = qs.filter(stage__pipeline_id__in=_ids("pipeline", filters["pipeline"]))
    if filters.get("tag"):
        tags = Account.tags.through.objects.filter(
            account_id=OuterRef("account_id"), tag__name__in=_values(filters["tag"])
        )
        qs = qs.filter(Exists(tags))
    if filters.get("updated_since"):
        qs = qs.filter(updated_at__gte=_moment("updated_since", filters["updated_since"]))
    if filters.get("close_after"):
        qs = qs.filter(expected_close_date__gte=_day("close_after", filters["close_after"]))
    if filters.get("close_before"):
        qs = qs.filter(expected_close_date__lte=_day("close_before", filters["close_before"]))
    search = (search or "").strip()
    if search:
        qs = _opportunity_search(qs, search)
    return qs.order_by(*_ordering(ordering, OPPORTUNITY_ORDERINGS, "-created_at"))


# How many opportunities a broad opportunity search's page may walk per row it shows, by
# the field its order starts with (integration.walking); names cluster in name order.
OPPORTUNITY_WALK_ROWS_PER_MATCH = {"created_at": 100, "id": 100, "updated_at": 100, "name": 1_000}


def _opportunity_search(qs: QuerySet[Opportunity], search: str) -> QuerySet[Opportunity]:
    """`qs` filtered by `search`: "contains" in the opportunity's name or in its account's
    name, each side read through its own trigram index (an OR across the join would read
    every opportunity). A narrow search (at most BROAD_SEARCH opportunities) is its ids;
    a broad one ("data", in thousands of account names) walks the list in page order,
    then sorts what the walk missed, and is not counted."""
    own = Q(name__icontains=search)
    accounts = Account.objects.filter(name__icontains=search).order_by().values("pk")
    named = list(
        Opportunity.objects.filter(own).order_by().values_list("pk", flat=True)[: BROAD_SEARCH + 1]
    )
    account_ids = list(accounts.values_list("pk", flat=True)[: BROAD_SEARCH + 1])
    if len(named) <= BROAD_SEARCH and len(account_ids) <= BROAD_SEARCH:
        at_accounts = Opportunity.objects.filter(account_id__in=account_ids).order_by()
        found = set(named) | set(at_accounts.values_list("pk", flat=True)[: BROAD_SEARCH + 1])
        if len(found) <= BROAD_SEARCH:
            return qs.filter(pk__in=found)
    if len(account_ids) <= BROAD_SEARCH:
        at_account = Q(account_id__in=account_ids)
    else:
        at_account = Q(account_id__in=accounts)
    return walked(
        qs,
        rows=Q(HoldsText("name", search)) | Q(HoldsText("account__name", search)),
        sides=[own, at_account],
        rows_per_match=OPPORTUNITY_WALK_ROWS_PER_MATCH,
        at_least=BROAD_SEARCH + 1,
    )


def pipeline_default() -> Pipeline | None:
    """The default pipeline with its stages (in position order) prefetched."""
    return (
        Pipeline.objects.filter(is_default=True)
        .prefetch_related(Prefetch("stages", queryset=Stage.objects.order_by("position")))
        .first()
    )


def opportunity_board(
    *, pipeline: Pipeline, filters: dict[str, Any] | None = None, limit: int = 100
) -> list[tuple[Stage, list[Opportunity]]]:
    """Kanban columns: each stage with up to `limit` opportunities (newest first); each
    stage also gets `.opportunity_count` and `.totals`, its matches' amounts per currency
    as (currency, amount) pairs, the default currency first (never added up across
    currencies)."""
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    base = opportunity_list(filters={**(filters or {}), "pipeline": pipeline.pk})
    rows = (
        base.order_by().values("stage_id", "currency").annotate(n=Count("id"), total=Sum("amount"))
    )
    counts: dict[int, int] = {}
    totals: dict[int, list[tuple[str, Decimal]]] = {}
    for row in rows:
        counts[row["stage_id"]] = counts.get(row["stage_id"], 0) + row["n"]
        totals.setdefault(row["stage_id"], []).append((row["currency"], row["total"]))
    default = settings.TANDEM_DEFAULT_CURRENCY
    columns = []
    for stage in stages:
        stage.opportunity_count = counts.get(stage.pk, 0)
        stage.totals = sorted(totals.get(stage.pk, []), key=lambda t: (t[0] != default, t[0]))
        # One query per stage: a pipeline has a handful of stages, not a page size.
        items = list(base.filter(stage=stage).order_by("-updated_at", "-id")[:limit])
        columns.append((stage, items))
    return columns


@dataclass
class ForecastSeries:
    """One currency's forecast: a row per month (month, amount, weighted_amount)."""

    currency: str
    months: list[dict[str, Any]]

    @property
    def total_amount(self) -> Decimal:
        return sum((row["amount"] for row in self.months), start=Decimal("0.00"))

    @property
    def total_weighted(self) -> Decimal:
        return sum((row["weighted_amount"] for row in self.months), start=Decimal("0.00"))


def forecast(*, months: int = 6, owner: Any = None) -> list[ForecastSeries]:
    """Open opportunities by expected close month, from this month on: amount and amount
    weighted by the stage probability, one series per currency (amounts in different
    currencies are never added up). The default currency comes first, and always; the
    others follow in code order where they have an open opportunity in those months."""
    today = timezone.localdate()
    start = today.replace(day=1)
    month_starts = [start]
    for _ in range(months - 1):
        last = month_starts[-1]
        month_starts.append((last + dt.timedelta(days=32)).replace(day=1))
    end = (month_starts[-1] + dt.timedelta(days=32)).replace(day=1)
    qs = Opportunity.objects.filter(
        status=Opportunity.Status.OPEN,
        expected_close_date__gte=start,
        expected_close_date__lt=end,
    )
    if owner is not None:
        qs = qs.filter(owner=owner)
    rows = (
        qs.annotate(month=TruncMonth("expected_close_date"))
        .values("currency", "month")
        .annotate(
            total=Sum("amount"),
            weighted=Sum(
                F("amount") * F("probability"),
                output_field=models.DecimalField(max_digits=20, decimal_places=2),
            ),
        )
        .order_by("currency", "month")
    )
    found = {(row["currency"], row["month"]): row for row in rows}
    default = settings.TANDEM_DEFAULT_CURRENCY
    currencies = [default, *sorted({currency for currency, _ in found} - {default})]
    series = []
    for currency in currencies:
        by_month = []
        for month in month_starts:
            row = found.get((currency, month), {})
            by_month.append(
                {
                    "month": month,
                    "amount": Decimal(row.get("total") or 0).quantize(Decimal("0.01")),
                    "weighted_amount": (Decimal(row.get("weighted") or 0) / 100).quantize(
                        Decimal("0.01")
                    ),
                }
            )
        series.append(ForecastSeries(currency=currency, months=by_month))
    return series


# ---------------------------------------------------------------- activities

ACTIVITY_ORDERINGS = {
    "-created_at": ("-created_at", "-id"),
    "due_at": ("due_at", "id"),
    "-due_at": ("-due_at", "-id"),
}


def activity_list(
    *, filters: dict[str, Any] | None = None, search: str = "", ordering: str = "-created_at"
) -> QuerySet[Activity]:
    """Activities with account, contact, opportunity and owner; filters: account, contact,
    opportunity, owner, kind, done, due_before, updated_since."""
    filters = filters or {}
    qs = Activity.objects.select_related("account", "contact", "opportunity", "owner")
    for name in ("account", "contact", "opportunity", "owner"):
        if filters.get(name) not in (None, ""):
            qs = qs.filter(_id_filter(name, _ids(name, filters[name])))
    if filters.get("kind"):
        qs = qs.filter(kind__in=_values(filters["kind"]))
    if filters.get("done") not in (None, ""):
        qs = qs.filter(done=_bool(filters["done"]))
    if filters.get("due_before"):
        qs = qs.filter(due_at__lt=_moment("due_before", filters["due_before"], end_of_day=True))
    if filters.get("updated_since"):
        qs = qs.filter(updated_at__gte=_moment("updated_since", filters["updated_since"]))
    search = (search or "").strip()
    if search:
        qs = qs.filter(Q(subject__icontains=search) | Q(notes__icontains=search))
    if ordering in ("due_at", "-due_at"):
        # Undated tasks last either way.
        field = (
            F("due_at").asc(nulls_last=True)
            if ordering == "due_at"
            else F("due_at").desc(nulls_last=True)
        )
        return qs.order_by(field, "id" if ordering == "due_at" else "-id")
    return qs.order_by(*_ordering(ordering, ACTIVITY_ORDERINGS, "-created_at"))


def my_open_tasks(*, user: Any, limit: int = 10) -> list[Activity]:
    """The user's undone activities, soonest due first (undated last)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(
        Activity.objects.filter(owner=user, done=False)
        .select_related("account", "contact", "opportunity")
        .order_by(F("due_at").asc(nulls_last=True), "id")[:limit]
    )


# ---------------------------------------------------------------- marketing


def segment_accounts(segment: Segment) -> QuerySet[Account]:
    return account_list(filters=dict(segment.criteria or {}))


def segment_contacts(segment: Segment) -> QuerySet[Contact]:
    """Contacts of the segment's accounts (all of them: sending filters for consent)."""
    accounts = account_list(filters=dict(segment.criteria or {})).order_by().values("pk")
    return (
        Contact.objects.filter(account_id__in=Subquery(accounts))
        .select_related("account")
        .order_by("account__name", "last_name", "first_name", "id")
    )


def campaign_list(*, search: str = "") -> QuerySet[Campaign]:
    qs = Campaign.objects.select_related("segment", "owner").annotate(
        members_count=Coalesce(
            Subquery(
                CampaignMember.objects.filter(campaign_id=OuterRef("pk"))
                .order_by()
                .values("campaign_id")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=models.IntegerField(),
            ),
            0,
        )
    )
    if search.strip():
        qs = qs.filter(name__icontains=search.strip())
    return qs.order_by("-created_at", "-id")


def campaign_members(*, campaign: Campaign) -> QuerySet[CampaignMember]:
    return campaign.members.select_related("contact", "contact__account").order_by("id")
