"""Search rules shared by the apps: names by their words or by "contains", people by their
name's words or their e-mail address, each written as the expression an index is built on.

The CRM's account and contact searches (crm.selectors) and the 360° view's search box
(integration.customer_view.selectors) use the same rules, so a term finds the same
customers in both. PostgreSQL answers each rule through an index; SQLite (embedded mode)
applies the same rules with LIKE.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Lower, Reverse


class NameWords(models.Func):
    """`document` holds each word of `term`, in any order, the last word possibly unfinished:
    "foods tapio 543" matches "Tapio Foods 54321 Ky". PostgreSQL full-text search in the
    'simple' configuration (no stemming, no stop words), both sides split by the same
    parser; the GIN indexes of crm/migrations/0006 and integration/migrations/0009 are on
    exactly this to_tsvector expression.

    Whole words keep the index scan as cheap as the rarest of them (GIN skips through the
    others); only the last word, the one being typed, is a prefix.
    """

    output_field = models.BooleanField()
    # plainto_tsquery splits the term into quoted lexemes ('foods' & 'tapio' & '543'); the
    # closing quote at the very end gets :* to make the last one a prefix ('543':*).
    QUERY = (
        "to_tsvector('simple'::regconfig, {document}) @@ to_tsquery('simple'::regconfig, "
        "regexp_replace(plainto_tsquery('simple'::regconfig, {term})::text, "
        "'''$', ''':*'))"
    )

    def __init__(self, document: Any, term: str) -> None:
        super().__init__(document, Value(term))

    def as_sql(self, compiler, connection, **extra_context):
        document, document_params = compiler.compile(self.source_expressions[0])
        term, term_params = compiler.compile(self.source_expressions[1])
        return self.QUERY.format(document=document, term=term), (*document_params, *term_params)


class HoldsText(models.Func):
    """`field` contains `term`, ignoring case, like icontains, for a test row by row:
    STRPOS(UPPER(field), UPPER(term)) > 0. No index answers it, so the planner cannot
    swap a walk in page order for a trigram scan of every match: it estimated "contains"
    by a histogram of 100 names and took "media", in 25,055 names of a million, for a
    rare word. The estimate for STRPOS(...) > 0 is a third of the rows, so a LIMITed
    query walks an index in page order and stops after a page."""

    output_field = models.BooleanField()

    def __init__(self, field: str, term: str, *, case: str = "UPPER") -> None:
        super().__init__(F(field), Value(term))
        self.case = case

    def as_sql(self, compiler, connection, function="STRPOS", **extra_context):
        field, field_params = compiler.compile(self.source_expressions[0])
        term, term_params = compiler.compile(self.source_expressions[1])
        sql = f"{function}({self.case}({field}::text), {self.case}({term})) > 0"
        return sql, (*field_params, *term_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="INSTR", **extra_context)


def is_words(search: str) -> bool:
    """A term of several words (searched word by word, see words_q)."""
    return any(ch.isspace() for ch in search.strip())


def words_q(field: str, search: str) -> Q | NameWords:
    """Rows whose `field` holds each word of `search` as a word, in any order, the last
    word possibly unfinished ("foods tapio 543" finds "Tapio Foods 54321 Ky").

    On PostgreSQL a full-text index answers it: a trigram "contains" match of a long term
    reads the posting lists of its common trigrams ("ran", "000"), which grow with the
    table. Elsewhere (SQLite, embedded mode) each word must start the text or follow a
    space (a word's beginning, the last word's rule for every word).
    """
    if connection.vendor == "postgresql":
        return NameWords(F(field), search)
    q = Q()
    for word in search.split():
        q &= Q(**{f"{field}__istartswith": word}) | Q(**{f"{field}__icontains": f" {word}"})
    return q


def name_q(field: str, search: str) -> Q | NameWords:
    """The rule for names: one word of three or more characters anywhere in `field`
    ("contains", trigram index); a shorter word at the start of a word of `field`, and
    several words as words (words_q, full-text index). A trigram index cannot answer a
    term shorter than a trigram: "contains" would read every row."""
    if is_words(search) or len(search) < 3:
        return words_q(field, search)
    return Q(**{f"{field}__icontains": search})


def email_address_q(search: str) -> Q | None:
    """A search for an e-mail address, or None if `search` is not one.

    A term with "@" and no space matches the addresses that start with it ("aino@",
    "aino@acme.example") or, when it starts with "@", end with it ("@acme.example"). Both
    use a btree index; a trigram "contains" match would read the posting lists of the
    trigrams every address shares (".example", "@") and slow down as contacts grow.
    Needs the aliases of with_email_aliases.
    """
    if "@" not in search or is_words(search):
        return None
    term = search.lower()
    if term.startswith("@"):
        return Q(email_reversed__startswith=term[::-1])
    return Q(email_lower__startswith=term)


def email_word_q(word: str) -> Q:
    """Addresses that start with `word`, or whose domain does: "aino" finds
    aino.virtanen@…, "acme" finds …@acme.example. Btree indexes answer both
    (crm/migrations/0005 and 0007, integration/migrations/0009); "contains" would match
    the middle of every domain that holds a common word ("…@nordicdata.example" for
    "data") and make a common word's search read thousands of contacts. Needs the aliases
    of with_email_aliases."""
    word = word.lower()
    if connection.vendor == "postgresql":
        return Q(email_lower__startswith=word) | Q(email_domain__startswith=word)
    return Q(email_lower__startswith=word) | Q(email__icontains=f"@{word}")


def with_email_aliases(people: QuerySet) -> QuerySet:
    aliases = {"email_lower": Lower("email"), "email_reversed": Reverse(Lower("email"))}
    if connection.vendor == "postgresql":
        # The domain, as crm/migrations/0007 and integration/migrations/0009 indexed it.
        aliases["email_domain"] = models.Func(
            Lower("email"),
            Value("@"),
            Value(2),
            function="SPLIT_PART",
            output_field=models.CharField(),
        )
    return people.alias(**aliases)


def person_q(name: str, search: str) -> Q | NameWords:
    """People (contacts) matching `search`, by the text in `name` and their e-mail: a term
    with "@" by the address (email_address_q); several words by the words of the name
    (words_q: no address holds a space); one word by the start of a word of the name
    (people look a person up by the beginning of a name; a trigram "contains" of a common
    word such as "marine" reads the long lists of trigrams names share, "mar", "ine") or by
    the start of the address or its domain (email_word_q). Needs with_email_aliases."""
    address = email_address_q(search)
    if address is not None:
        return address
    if is_words(search):
        return words_q(name, search)
    return email_word_q(search) | _gated(words_q(name, search), name, search)


def _gated(words: Q | NameWords, name: str, search: str) -> Q | NameWords:
    """`words` (one word, words_q) behind a cheap test that every row it matches passes.

    Splitting a name into words (to_tsvector) costs some 5 µs a row; a test row by row
    (a contact's subquery in a walk, the recheck of a bitmap scan) paid it for every
    contact it looked at. A word of the name that starts with the term contains it, so
    STRPOS(LOWER(name), LOWER(term)) > 0 turns almost every other name away first. That
    holds where the parser keeps the term whole: letters and digits only ("o'brien" is
    two words to it). The e-mail tests come first in person_q for the same reason:
    PostgreSQL tests an OR's arms in the order written.
    """
    if connection.vendor != "postgresql" or not search.isalnum():
        return words
    return Q(HoldsText(name, search, case="LOWER")) & words
