"""CRM demo data for `manage.py seed_demo`: a realistic small CRM, or `--scale N` accounts.

Both are deterministic: every name, amount and stage comes from `random.Random` with a
fixed seed (dates are relative to today, so "due today" stays true).

- Small (no scale): ~200 accounts, ~600 contacts, leads, opportunities across every stage,
  activities, two segments and two campaigns, all through `crm.services`, so every row has
  its events and the 360° view fills through the bus like any user's edits.
- `--scale N`: N accounts, 3N contacts, ~N/2 opportunities and N activities for benchmarks,
  written with COPY on PostgreSQL (a batched INSERT elsewhere) together with their event
  history (~8 events per account), built by the services' payload builders and written
  straight into the event log without bus deliveries; the 360° view is then rebuilt from
  the log in one pass. Scale account i is the same in every run (its own seed), and a
  larger N adds only the missing ones. A big load locks the CRM tables and the event log
  until it commits (their plain indexes are built at the end).

Both skip what is already there, so `seed_demo` may run on every start.
"""

from __future__ import annotations

import bisect
import functools
import io
import itertools
import json
import os
import queue
import random
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC as TZ_UTC
from datetime import datetime, timedelta
from decimal import Decimal
from operator import methodcaller
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, models, transaction
from django.utils import timezone

from crm import services
from crm.events import account_data, activity_data, contact_data, opportunity_data
from crm.models import (
    Account,
    AccountWord,
    Activity,
    Contact,
    Opportunity,
    Pipeline,
    Segment,
    Stage,
    Tag,
)
from crm.services.accounts import domain_of, normalize_name
from integration.models import Event

Log = Callable[[str], None]

SEED = 4_2024  # the small demo's seed
SCALE_SEED = 7_2024  # mixed with each scale account's index: account i is the same in any run
# Scale accounts carry their index here: it tells a re-run how many already exist.
SCALE_TAX_PREFIX = "SCALE-"
SEGMENTS = ("Finnish software companies", "Key accounts")
CHUNK = 5_000  # scale accounts per COPY round (about 40,000 events)
BIG_LOAD = 20_000  # scale accounts from which indexes are built after the load

# ---------------------------------------------------------------- word lists

# fmt: off
COUNTRIES: dict[str, dict[str, Any]] = {
    "FI": {
        "weight": 40,
        "legal": ["Oy", "Oy", "Oy", "Oyj", "Ky"],
        "phone": "+358 {a:02d} {b:03d} {c:04d}",
        "cities": [
            ("Helsinki", "00100"), ("Espoo", "02100"), ("Tampere", "33100"), ("Turku", "20100"),
            ("Oulu", "90100"), ("Jyväskylä", "40100"), ("Kuopio", "70100"), ("Lahti", "15100"),
            ("Vaasa", "65100"), ("Rovaniemi", "96100"),
        ],
        "streets": [
            "Mannerheimintie", "Hämeenkatu", "Aleksanterinkatu", "Satamakatu", "Teollisuuskatu",
            "Puistokatu", "Rantatie", "Kauppakatu",
        ],
        "first": [
            "Aino", "Eero", "Liisa", "Mikko", "Sanna", "Juha", "Elina", "Ville", "Kaisa", "Antti",
            "Johanna", "Timo", "Riikka", "Pekka", "Laura", "Janne", "Noora", "Heikki", "Minna",
            "Tuomas", "Satu", "Jari", "Anu", "Lauri",
        ],
        "last": [
            "Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
            "Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Saarinen", "Salminen", "Heinonen",
            "Niemi", "Kinnunen", "Salonen", "Turunen", "Lindholm", "Rantanen",
        ],
    },
    "SE": {
        "weight": 15,
        "legal": ["AB"],
        "phone": "+46 {a:02d} {b:03d} {c:04d}",
        "cities": [
            ("Stockholm", "111 20"), ("Göteborg", "411 03"), ("Malmö", "211 20"),
            ("Uppsala", "753 10"), ("Luleå", "972 31"), ("Umeå", "903 26"),
        ],
        "streets": [
            "Drottninggatan", "Storgatan", "Kungsgatan", "Hamngatan", "Sveavägen",
        ],
        "first": [
            "Erik", "Anna", "Lars", "Karin", "Johan", "Maria", "Anders", "Eva", "Nils", "Sofia",
            "Oskar", "Ingrid", "Gustav", "Linnea",
        ],
        "last": [
            "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
            "Persson", "Svensson", "Gustafsson", "Lindberg", "Berg",
        ],
    },
    "NO": {
        "weight": 8,
        "legal": ["AS", "ASA"],
        "phone": "+47 {a:02d} {b:03d} {c:03d}",
        "cities": [
            ("Oslo", "0150"), ("Bergen", "5003"), ("Trondheim", "7011"), ("Stavanger", "4006"),
            ("Tromsø", "9008"),
        ],
        "streets": [
            "Karl Johans gate", "Storgata", "Bryggen", "Kongens gate",
        ],
        "first": [
            "Ole", "Ingrid", "Lars", "Kari", "Magnus", "Silje", "Henrik", "Nora", "Jonas", "Ida",
        ],
        "last": [
            "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen",
            "Kristiansen", "Jensen", "Berg",
        ],
    },
    "DK": {
        "weight": 7,
        "legal": ["A/S", "ApS"],
        "phone": "+45 {a:02d} {b:03d} {c:03d}",
        "cities": [
            ("København", "1050"), ("Aarhus", "8000"), ("Odense", "5000"), ("Aalborg", "9000"),
        ],
        "streets": [
            "Strøget", "Vesterbrogade", "Nørregade", "Havnegade",
        ],
        "first": [
            "Mette", "Søren", "Anne", "Jens", "Camilla", "Mads", "Line", "Rasmus", "Freja",
        ],
        "last": [
            "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Rasmussen",
            "Sørensen", "Madsen",
        ],
    },
    "EE": {
        "weight": 6,
        "legal": ["OÜ", "AS"],
        "phone": "+372 {a:02d} {b:03d} {c:03d}",
        "cities": [
            ("Tallinn", "10111"), ("Tartu", "51003"), ("Pärnu", "80010"),
        ],
        "streets": [
            "Narva maantee", "Pärnu maantee", "Viru tänav", "Rüütli tänav",
        ],
        "first": [
            "Kadri", "Mart", "Liis", "Andres", "Triin", "Rein", "Kristi", "Tõnu",
        ],
        "last": [
            "Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves",
        ],
    },
    "DE": {
        "weight": 10,
        "legal": ["GmbH", "GmbH", "AG", "KG"],
        "phone": "+49 {a:02d} {b:04d} {c:04d}",
        "cities": [
            ("Berlin", "10115"), ("Hamburg", "20095"), ("München", "80331"), ("Köln", "50667"),
            ("Frankfurt am Main", "60311"), ("Leipzig", "04109"),
        ],
        "streets": [
            "Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Industriestraße", "Hafenstraße",
        ],
        "first": [
            "Anna", "Lukas", "Julia", "Felix", "Katrin", "Jonas", "Sabine", "Stefan", "Lena",
            "Tobias",
        ],
        "last": [
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
            "Hoffmann", "Schulz",
        ],
    },
    "NL": {
        "weight": 5,
        "legal": ["B.V.", "N.V."],
        "phone": "+31 {a:02d} {b:03d} {c:04d}",
        "cities": [
            ("Amsterdam", "1012 AB"), ("Rotterdam", "3011 AA"), ("Utrecht", "3511 AA"),
            ("Eindhoven", "5611 AA"),
        ],
        "streets": [
            "Damrak", "Kalverstraat", "Coolsingel", "Stationsplein",
        ],
        "first": [
            "Daan", "Sanne", "Bram", "Eva", "Thijs", "Lotte", "Ruben", "Femke",
        ],
        "last": [
            "de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit",
        ],
    },
    "FR": {
        "weight": 4,
        "legal": ["SAS", "SA", "SARL"],
        "phone": "+33 {a:01d} {b:04d} {c:04d}",
        "cities": [
            ("Paris", "75002"), ("Lyon", "69002"), ("Lille", "59000"), ("Toulouse", "31000"),
        ],
        "streets": [
            "Rue de la République", "Avenue Victor Hugo", "Rue du Port",
        ],
        "first": [
            "Camille", "Julien", "Claire", "Thomas", "Élodie", "Nicolas", "Manon",
        ],
        "last": [
            "Martin", "Bernard", "Dubois", "Durand", "Lefebvre", "Moreau", "Laurent",
        ],
    },
    "IE": {
        "weight": 3,
        "legal": ["Ltd", "DAC"],
        "phone": "+353 {a:02d} {b:03d} {c:04d}",
        "cities": [
            ("Dublin", "D02"), ("Cork", "T12"), ("Galway", "H91"),
        ],
        "streets": [
            "Grafton Street", "Harbour Road", "Main Street",
        ],
        "first": [
            "Aoife", "Conor", "Siobhan", "Sean", "Niamh", "Liam",
        ],
        "last": [
            "Murphy", "Kelly", "O'Sullivan", "Walsh", "Byrne", "Ryan",
        ],
    },
    "PL": {
        "weight": 2,
        "legal": ["Sp. z o.o.", "S.A."],
        "phone": "+48 {a:02d} {b:03d} {c:04d}",
        "cities": [
            ("Warszawa", "00-001"), ("Kraków", "30-001"), ("Gdańsk", "80-001"),
        ],
        "streets": [
            "ulica Marszałkowska", "ulica Długa", "ulica Portowa",
        ],
        "first": [
            "Anna", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Paweł",
        ],
        "last": [
            "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski",
        ],
    },
}
# fmt: on

# fmt: off
NAME_FIRST = [
    "Kaleva", "Pohjola", "Aurora", "Saimaa", "Nordic", "Baltic", "Fjord", "Lappi", "Kuura",
    "Tapio", "Ahti", "Ilma", "Vellamo", "Otava", "Revontuli", "Karhu", "Kettu", "Ilves", "Boreal",
    "Polar", "Midnight", "Arctic", "Viking", "Hansa", "Skagen", "Gotland", "Oresund", "Tundra",
    "Birch", "Granite", "Lumi", "Halla", "Kide", "Meri", "Sisu", "Huima", "Valo", "Koivu",
    "Kallio", "Silta", "Aalto", "Harju", "Rhein", "Elbe", "Danube", "Alpine", "Atlantic", "Celtic",
    "Amber", "Copper", "Iron", "Silver", "North Star", "Blue Lake",
]
NAME_SECOND = [
    "Timber", "Logistics", "Analytics", "Foods", "Robotics", "Energy", "Textiles", "Marine",
    "Software", "Medical", "Consulting", "Construction", "Design", "Systems", "Pharma", "Dairy",
    "Paper", "Steel", "Solar", "Wind", "Water", "Telecom", "Retail", "Optics", "Bakery", "Brewery",
    "Furniture", "Packaging", "Security", "Transport", "Mining", "Labs", "Data", "Cloud",
    "Finance", "Insurance", "Media", "Games", "Hotels", "Travel",
]
INDUSTRIES = [
    "Manufacturing", "Retail", "Software", "Logistics", "Healthcare", "Energy", "Construction",
    "Food & Beverage", "Financial Services", "Public Sector", "Education", "Media", "Forestry",
    "Telecommunications", "Hospitality",
]
TAGS = [
    "key account", "partner", "reseller", "public sector", "newsletter", "trade fair", "pilot",
    "renewal due",
]
TITLES = [
    "CEO", "CFO", "CTO", "Head of Purchasing", "Purchasing Manager", "Sales Director",
    "Operations Manager", "IT Manager", "Marketing Manager", "Project Manager", "Office Manager",
    "Procurement Specialist", "Plant Manager", "HR Director",
]
CONSENT_SOURCES = [
    "web form", "trade fair", "webinar", "newsletter sign-up", "import",
]
LOST_REASONS = [
    "Price", "Chose a competitor", "No budget", "Timing", "No decision",
]
PRODUCTS = [
    "Platform licence", "Pilot", "Support renewal", "Integration project", "Training package",
    "Hardware upgrade", "Framework agreement", "Expansion",
]
CALL_SUBJECTS = [
    "Intro call", "Follow-up call", "Pricing discussion", "Check-in call", "Reference call",
    "Renewal call",
]
MEETING_SUBJECTS = [
    "Discovery meeting", "Demo", "Workshop", "Quarterly review", "Contract negotiation",
    "Site visit",
]
EMAIL_SUBJECTS = [
    "Sent proposal", "Sent case studies", "Answered security questionnaire",
    "Shared meeting notes",
]
TASK_SUBJECTS = [
    "Send quote", "Prepare demo environment", "Call back about pricing", "Update contact details",
    "Book follow-up meeting", "Send contract draft", "Check payment terms", "Ask for a referral",
]
LEAD_SOURCES = [
    "web", "referral", "event", "campaign", "cold", "other",
]
LEAD_MESSAGES = [
    "Interested in a demo.", "Please send pricing.", "Met at the trade fair.",
    "Looking for a partner for next year.", "",
]
SIZES = [
    "1-9", "10-49", "50-249", "250-999", "1000+", "",
]
# fmt: on
STATUS_WEIGHTS = {"prospect": 25, "active": 65, "churned": 10}
SIZE_WEIGHTS = [15, 30, 25, 15, 8, 7]
# Where an opportunity ends up: the n-th open stage (0-based), won or lost.
TARGETS = {"open:0": 25, "open:1": 20, "open:2": 15, "won": 25, "lost": 15}


# ---------------------------------------------------------------- entry point


def seed(*, scale: int | None, log: Log) -> None:
    if scale is None:
        _seed_small(log)
    else:
        seed_scale(scale, log=log)


# ---------------------------------------------------------------- shared generators


@functools.lru_cache(maxsize=4096)
def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower())


class _Weighted:
    """Options with weights, drawn by one bisect (the scale path draws millions)."""

    def __init__(self, weights: dict[Any, int]):
        self.values = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]


class _Dice(random.Random):
    """random.Random with cheaper draws than randint/choice/choices (same seed, same data)."""

    def int(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def pick(self, options: Sequence[Any]) -> Any:
        return options[int(self.random() * len(options))]

    def weighted(self, options: _Weighted) -> Any:
        return options.values[bisect.bisect(options.cumulative, self.random() * options.total)]


COUNTRY_MIX = _Weighted({code: spec["weight"] for code, spec in COUNTRIES.items()})
STATUS_MIX = _Weighted(STATUS_WEIGHTS)
SIZE_MIX = _Weighted(dict(zip(SIZES, SIZE_WEIGHTS, strict=True)))
TAG_COUNT_MIX = _Weighted({0: 50, 1: 35, 2: 15})
TARGET_MIX = _Weighted(TARGETS)


@dataclass
class CompanyPlan:
    name: str
    country: str
    city: str
    postal_code: str
    street: str
    industry: str
    status: str
    size: str
    website: str
    email: str
    phone: str
    tax_id: str
    tags: list[str]


def _phone(rng: _Dice, country: str) -> str:
    return COUNTRIES[country]["phone"].format(
        a=rng.int(1, 99), b=rng.int(100, 999), c=rng.int(100, 999)
    )


def _company(rng: _Dice, *, suffix: str = "") -> CompanyPlan:
    """A plausible European company; `suffix` (e.g. an index) makes the name unique."""
    country = rng.weighted(COUNTRY_MIX)
    spec = COUNTRIES[country]
    core = f"{rng.pick(NAME_FIRST)} {rng.pick(NAME_SECOND)}"
    # Reserved `.example` top-level domain: a demo campaign can never mail a real company.
    host = f"{_slug(core)}{suffix}.{country.lower()}.example"
    if suffix:
        core = f"{core} {suffix}"
    legal = rng.pick(spec["legal"])
    city, postal_code = rng.pick(spec["cities"])
    n_tags = rng.weighted(TAG_COUNT_MIX)
    return CompanyPlan(
        name=f"{core} {legal}",
        country=country,
        city=city,
        postal_code=postal_code,
        street=f"{rng.pick(spec['streets'])} {rng.int(1, 120)}",
        industry=rng.pick(INDUSTRIES),
        status=rng.weighted(STATUS_MIX),
        size=rng.weighted(SIZE_MIX),
        website=f"https://www.{host}",
        email=f"info@{host}",
        phone=_phone(rng, country),
        tax_id=f"{country}{rng.int(10_000_000, 99_999_999)}",
        tags=sorted(rng.sample(TAGS, n_tags)) if n_tags else [],
    )


def _person(rng: _Dice, country: str) -> tuple[str, str]:
    spec = COUNTRIES[country]
    return rng.pick(spec["first"]), rng.pick(spec["last"])


def _email(first: str, last: str, host: str) -> str:
    return f"{_slug(first)}.{_slug(last)}@{host}"


def _host(company: CompanyPlan) -> str:
    return company.website.removeprefix("https://www.")


def _demo_users() -> dict[str, Any]:
    """The demo users integration's demo creates (username = role, lower case)."""
    users = get_user_model()._default_manager.filter(
        username__in=["sales", "manager", "marketing", "admin"]
    )
    return {user.username: user for user in users}


def _default_stages() -> list[Stage]:
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        raise RuntimeError(
            "No default pipeline: crm's migrations create it ('Sales'); run migrate first."
        )
    return list(pipeline.stages.order_by("position"))


# ---------------------------------------------------------------- the small demo


def _seed_small(log: Log) -> None:
    rng = _Dice(SEED)
    started = time.perf_counter()
    companies: list[CompanyPlan] = []
    seen: set[str] = set()
    while len(companies) < 200:
        company = _company(rng)
        key = normalize_name(company.name)  # one account per name: the duplicate guard's key
        if key not in seen:
            seen.add(key)
            companies.append(company)
    # Loaded before: its segments are there (the load is one transaction), or most of its
    # accounts are (someone removed the segments). A user's own "Kaleva Timber Oy" is not.
    present = Account.objects.filter(name__in=[c.name for c in companies]).count()
    if present > len(companies) // 2 or Segment.objects.filter(name__in=SEGMENTS).exists():
        log("CRM demo data already present.")
        return

    users = _demo_users()
    sales, manager = users.get("sales"), users.get("manager")
    marketing = users.get("marketing") or sales
    owners = [u for u in (sales, sales, sales, manager) if u is not None] or [None]
    stages = _default_stages()
    open_stages = [s for s in stages if s.outcome == Stage.Outcome.OPEN]
    won = next(s for s in stages if s.outcome == Stage.Outcome.WON)
    lost = next(s for s in stages if s.outcome == Stage.Outcome.LOST)
    now = timezone.now()
    today = timezone.localdate()
    counts = {"accounts": 0, "contacts": 0, "opportunities": 0, "activities": 0, "leads": 0}

    accounts: list[tuple[Account, CompanyPlan, list[Contact]]] = []
    for company in companies:
        owner = rng.pick(owners)
        account = services.account_create(
            name=company.name,
            user=owner,
            owner=owner,
            tags=company.tags,
            status=company.status,
            industry=company.industry,
            size=company.size,
            website=company.website,
            email=company.email,
            phone=company.phone,
            billing_street=company.street,
            billing_city=company.city,
            billing_postal_code=company.postal_code,
            billing_country=company.country,
            tax_id=company.tax_id,
        )
        counts["accounts"] += 1
        contacts = []
        for _ in range(rng.choices([1, 2, 3, 4, 5], weights=[10, 20, 35, 20, 15])[0]):
            first, last = _person(rng, company.country)
            email = _email(first, last, _host(company))
            if any(c.email == email for c in contacts):
                continue  # e-mail is unique per account
            consent = rng.random() < 0.4
            contacts.append(
                services.contact_create(
                    account=account,
                    first_name=first,
                    last_name=last,
                    user=owner,
                    email=email,
                    phone=_phone(rng, company.country),
                    title=rng.pick(TITLES),
                    marketing_consent=consent,
                    consent_at=now - timedelta(days=rng.int(1, 700)) if consent else None,
                    consent_source=rng.pick(CONSENT_SOURCES) if consent else "",
                )
            )
        counts["contacts"] += len(contacts)
        accounts.append((account, company, contacts))

    # Opportunities: created at the first stage, then moved along as a salesperson would,
    # so the log holds their stage changes and the board shows every column.
    for account, _plan, contacts in accounts:
        if account.status == Account.Status.CHURNED and rng.random() < 0.7:
            continue
        for _ in range(rng.choices([0, 1, 2, 3], weights=[20, 45, 25, 10])[0]):
            owner = account.owner
            opportunity = services.opportunity_create(
                account=account,
                name=f"{rng.pick(PRODUCTS)} {today.year + rng.pick([-1, 0, 0, 1])}",
                user=owner,
                owner=owner,
                contact=rng.pick(contacts) if contacts else None,
                amount=Decimal(rng.int(10, 1999) * 50).quantize(Decimal("0.01")),
                expected_close_date=today + timedelta(days=rng.int(-60, 240)),
            )
            target = rng.weighted(TARGET_MIX)
            if target.startswith("open:"):
                path = open_stages[1 : int(target[5:]) + 1]
            elif target == "won":
                path = [*open_stages[1:], won]
            else:
                path = [*open_stages[1 : rng.int(1, len(open_stages))], lost]
            for stage in path:
                opportunity = services.opportunity_move(
                    opportunity=opportunity,
                    stage=stage,
                    lost_reason=rng.pick(LOST_REASONS) if stage == lost else "",
                )
            counts["opportunities"] += 1
            if rng.random() < 0.5:
                services.activity_log(
                    subject=rng.pick(MEETING_SUBJECTS),
                    kind=Activity.Kind.MEETING,
                    user=owner,
                    owner=owner,
                    account=account,
                    contact=opportunity.contact,
                    opportunity=opportunity,
                    notes=f"About {opportunity.name}.",
                )
                counts["activities"] += 1

    # Past calls, e-mails and notes (done), plus open tasks: the sales user's are due
    # around today, so "my open tasks" has something to show.
    kinds = {
        Activity.Kind.CALL: CALL_SUBJECTS,
        Activity.Kind.EMAIL: EMAIL_SUBJECTS,
        Activity.Kind.MEETING: MEETING_SUBJECTS,
        Activity.Kind.NOTE: ["Account notes", "Org chart updated", "Budget cycle noted"],
    }
    for account, _plan, contacts in accounts:
        for _ in range(rng.choices([0, 1, 2, 3], weights=[25, 35, 25, 15])[0]):
            kind = rng.pick(list(kinds))
            activity = services.activity_log(
                subject=rng.pick(kinds[kind]),
                kind=kind,
                user=account.owner,
                owner=account.owner,
                account=account,
                contact=rng.pick(contacts) if contacts else None,
            )
            services.activity_complete(activity=activity)
            counts["activities"] += 1
    for index in range(40):
        account, _plan, contacts = rng.pick(accounts)
        owner = sales if index < 24 or account.owner is None else account.owner
        due = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0)
        due += timedelta(days=rng.int(-3, 10), hours=rng.int(0, 8))
        services.activity_log(
            subject=rng.pick(TASK_SUBJECTS),
            kind=Activity.Kind.TASK,
            user=owner,
            owner=owner,
            account=account,
            contact=rng.pick(contacts) if contacts else None,
            due_at=due,
        )
        counts["activities"] += 1

    # Leads in every status; some converted, a few of those with an opportunity.
    lead_statuses = ["new"] * 30 + ["contacted"] * 18 + ["qualified"] * 12
    lead_statuses += ["disqualified"] * 8 + ["converted"] * 12
    rng.shuffle(lead_statuses)
    for status in lead_statuses:
        company = _company(rng)
        while normalize_name(company.name) in seen:
            company = _company(rng)
        seen.add(normalize_name(company.name))
        first, last = _person(rng, company.country)
        lead = services.lead_create(
            last_name=last,
            first_name=first,
            user=marketing,
            owner=marketing,
            company=company.name,
            email=_email(first, last, _host(company)),
            phone=_phone(rng, company.country),
            title=rng.pick(TITLES),
            source=rng.pick(LEAD_SOURCES),
            score=rng.int(0, 100),
            message=rng.pick(LEAD_MESSAGES),
        )
        counts["leads"] += 1
        if status == "converted":
            with_opportunity = rng.random() < 0.6
            services.lead_convert(
                lead=lead,
                user=sales,
                opportunity_name=f"{rng.pick(PRODUCTS)} for {company.name}"
                if with_opportunity
                else None,
                amount=Decimal(rng.int(10, 399) * 100).quantize(Decimal("0.01"))
                if with_opportunity
                else None,
            )
            counts["accounts"] += 1
            counts["contacts"] += 1
            counts["opportunities"] += int(with_opportunity)
        elif status != "new":
            services.lead_update(lead=lead, status=status)

    # Marketing: two segments, one campaign sent (with members and outcomes), one draft.
    # A narrow audience: in embedded mode the console e-mail backend prints every mail.
    finnish = services.segment_create(
        name=SEGMENTS[0],
        description="Software companies in Finland: the spring webinar's audience.",
        criteria={"country": "FI", "industry": "Software"},
        user=marketing,
    )
    key_accounts = services.segment_create(
        name=SEGMENTS[1],
        description="Accounts tagged 'key account'.",
        criteria={"tag": "key account"},
        user=marketing,
    )
    webinar = services.campaign_create(
        name="Spring webinar invitation",
        segment=finnish,
        subject="Join our spring webinar",
        body="Hello {{ contact }},\n\nyou are invited to our spring webinar.\n",
        user=marketing,
    )
    webinar = services.campaign_send(campaign=webinar)
    for member in webinar.members.order_by("id"):
        outcome = rng.choices(["sent", "bounced", "responded"], weights=[70, 10, 20])[0]
        if outcome != "sent":
            services.campaign_member_mark(member=member, status=outcome)
    services.campaign_create(
        name="Autumn product news",
        segment=key_accounts,
        subject="What is new this autumn",
        body="Hello {{ contact }},\n\nhere is what is new.\n",
        user=marketing,
    )
    log(
        f"Demo CRM: {counts['accounts']} accounts, {counts['contacts']} contacts, "
        f"{counts['leads']} leads, {counts['opportunities']} opportunities, "
        f"{counts['activities']} activities, 2 segments, 2 campaigns "
        f"({time.perf_counter() - started:.1f} s)."
    )


# ---------------------------------------------------------------- scale: rows and events


@dataclass
class _Ids:
    """First ids of the ranges reserved for a run; scale account `first + k` gets:
    account a + k, contacts c + 3k..c + 3k + 2, activity t + k, and (if its index is
    even) opportunity o + its rank among the run's even indexes."""

    first: int
    account: int
    contact: int
    opportunity: int
    activity: int


@dataclass
class _Batch:
    """One chunk's rows per table, as dicts keyed by column, and its events."""

    accounts: list[dict] = field(default_factory=list)
    account_tags: list[dict] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)
    opportunities: list[dict] = field(default_factory=list)
    activities: list[dict] = field(default_factory=list)
    # (type, occurred_at, customer_id, subject_type, subject_id, subject_version, data)
    events: list[tuple] = field(default_factory=list)


class _ScaleFactory:
    """Builds scale account i with its contacts, opportunity, activity and their events.

    Each account gets its own `Random` (seeded by its index), so account i is the same
    however the run is chunked or resumed. Event data comes from crm.events' payload
    builders, given light stand-ins for the model instances (no queries).
    """

    def __init__(self, *, owners: list, stages: list[Stage], tags: dict[str, Tag], now):
        self.owners = owners
        self.open_stages = [s for s in stages if s.outcome == Stage.Outcome.OPEN]
        self.won = next(s for s in stages if s.outcome == Stage.Outcome.WON)
        self.lost = next(s for s in stages if s.outcome == Stage.Outcome.LOST)
        self.tag_ids = {name: tag.pk for name, tag in tags.items()}
        self.now = now.astimezone(TZ_UTC)
        self.limit = self.now - timedelta(minutes=5)
        self.currency = settings.TANDEM_DEFAULT_CURRENCY
        self.owner_views = {u.pk: u for u in owners if u}

    def _when(self, rng: _Dice, after: datetime, max_days: int) -> datetime:
        """A moment after `after`, at most `max_days` later, never in the future."""
        moment = after + timedelta(seconds=rng.int(60, max(120, max_days * 86_400)))
        return moment if moment <= self.limit else after + (self.limit - after) / 2

    def build(self, index: int, ids: _Ids, batch: _Batch) -> None:
        rng = _Dice(SCALE_SEED * 100_000_007 + index)
        k = index - ids.first
        company = _company(rng, suffix=str(index))
        owner = rng.pick(self.owners)
        owner_id = owner.pk if owner else None
        created = self.now - timedelta(days=rng.int(30, 1100), seconds=rng.int(0, 86_399))
        account_id = ids.account + k
        account = {
            "id": account_id,
            "created_at": created,
            "updated_at": created,
            "name": company.name,
            "normalized_name": normalize_name(company.name),
            "kind": Account.Kind.COMPANY.value,
            "status": Account.Status.PROSPECT.value,
            "industry": company.industry,
            "size": company.size,
            "website": company.website,
            "domain": domain_of(website=company.website),
            "email": company.email,
            "phone": company.phone,
            "billing_street": company.street,
            "billing_city": company.city,
            "billing_postal_code": company.postal_code,
            "billing_country": company.country,
            "shipping_street": "",
            "shipping_city": "",
            "shipping_postal_code": "",
            "shipping_country": "",
            "tax_id": f"{SCALE_TAX_PREFIX}{index:09d}",
            "currency": self.currency,
            "owner_id": owner_id,
            "parent_id": None,
            "version": 1,
        }
        batch.accounts.append(account)
        batch.account_tags.extend(
            {"account_id": account_id, "tag_id": self.tag_ids[tag]} for tag in company.tags
        )
        view = _AccountView(account, company.tags, owner)
        self._event(batch, "crm.account.created", view, account_data(view), created)
        # Created as a prospect; an active or churned account was updated later.
        if company.status != Account.Status.PROSPECT:
            account["status"] = view.status = company.status
            account["updated_at"] = self._when(rng, created, 200)
            account["version"] = view.version = 2
            self._event(
                batch, "crm.account.updated", view, account_data(view), account["updated_at"]
            )

        host = company.website.removeprefix("https://www.")
        contacts = []
        for n in range(3):
            first, last = _person(rng, company.country)
            when = self._when(rng, created, 60)
            consent = rng.random() < 0.4
            contact = {
                "id": ids.contact + 3 * k + n,
                "created_at": when,
                "updated_at": when,
                "account_id": account_id,
                "first_name": first,
                "last_name": last,
                # The position keeps e-mails unique within the account.
                "email": _email(first, last, host) if n == 0 else f"{_slug(first)}{n}@{host}",
                "phone": _phone(rng, company.country),
                "title": rng.pick(TITLES),
                "marketing_consent": consent,
                "consent_at": when if consent else None,
                "consent_source": rng.pick(CONSENT_SOURCES) if consent else "",
                "owner_id": owner_id,
                "version": 1,
            }
            contacts.append(contact)
            batch.contacts.append(contact)
            view = _View("crm.contact", contact)
            self._event(batch, "crm.contact.created", view, contact_data(view), when)

        opportunity = None
        if index % 2 == 0:  # every other account: N/2 opportunities
            rank = (index - ids.first - (ids.first % 2)) // 2
            opportunity = self._opportunity(
                rng, batch, ids.opportunity + rank, account, rng.pick(contacts)
            )

        kind = rng.pick(ACTIVITY_KINDS)
        when = self._when(rng, created, 300)
        is_task = kind == Activity.Kind.TASK
        activity = {
            "id": ids.activity + k,
            "created_at": when,
            "updated_at": when,
            "kind": kind,
            "subject": rng.pick(TASK_SUBJECTS if is_task else CALL_SUBJECTS + MEETING_SUBJECTS),
            "notes": "",
            "account_id": account_id,
            "contact_id": rng.pick(contacts)["id"],
            "opportunity_id": opportunity["id"] if opportunity and rng.random() < 0.5 else None,
            "due_at": (self.now + timedelta(days=rng.int(-5, 20))) if is_task else None,
            "done": False,
            "done_at": None,
            "owner_id": owner_id,
            "version": 1,
        }
        batch.activities.append(activity)
        view = _View("crm.activity", activity)
        self._event(batch, "crm.activity.logged", view, activity_data(view), when)
        if not is_task or rng.random() < 0.5:  # done (an open task stays open)
            done_at = self._when(rng, when, 3)
            activity.update(done=True, done_at=done_at, updated_at=done_at, version=2)
            view.__dict__.update(done=True, done_at=done_at, version=2)
            self._event(batch, "crm.activity.completed", view, activity_data(view), done_at)

    def _opportunity(self, rng, batch: _Batch, pk: int, account: dict, contact: dict) -> dict:
        """Opened in the first stage, then moved along: every move is an event."""
        created = self._when(rng, account["created_at"], 120)
        stage = self.open_stages[0]
        opportunity = {
            "id": pk,
            "created_at": created,
            "updated_at": created,
            "account_id": account["id"],
            "contact_id": contact["id"],
            "name": f"{rng.pick(PRODUCTS)} {created.year}",
            "amount": Decimal(rng.int(10, 1999) * 50),
            "currency": self.currency,
            "expected_close_date": (created + timedelta(days=rng.int(30, 240))).date(),
            "stage_id": stage.pk,
            "status": Opportunity.Status.OPEN.value,
            "probability": stage.probability,
            "lost_reason": "",
            "closed_at": None,
            "source_campaign_id": None,
            "owner_id": account["owner_id"],
            "version": 1,
        }
        batch.opportunities.append(opportunity)
        view = _View("crm.opportunity", opportunity, stage=stage)
        self._event(batch, "crm.opportunity.created", view, opportunity_data(view), created)
        target = rng.weighted(TARGET_MIX)
        if target.startswith("open:"):
            path = self.open_stages[1 : int(target[5:]) + 1]
        elif target == "won":
            path = [*self.open_stages[1:], self.won]
        else:
            path = [*self.open_stages[1 : rng.int(1, len(self.open_stages))], self.lost]
        when = created
        for stage in path:
            when = self._when(rng, when, 40)
            changes = {
                "stage_id": stage.pk,
                "probability": stage.probability,
                "status": stage.outcome,
                "updated_at": when,
                "version": opportunity["version"] + 1,
            }
            if stage.outcome == Stage.Outcome.OPEN:
                event_type = "crm.opportunity.stage_changed"
            else:
                event_type = f"crm.opportunity.{stage.outcome}"
                changes["closed_at"] = when
                if stage.outcome == Stage.Outcome.LOST:
                    changes["lost_reason"] = rng.pick(LOST_REASONS)
            opportunity.update(changes)
            view.__dict__.update(changes, stage=stage)
            self._event(batch, event_type, view, opportunity_data(view), when)
        return opportunity

    @staticmethod
    def _event(batch: _Batch, event_type: str, view, data: dict, when: datetime) -> None:
        batch.events.append(
            (event_type, when, view.customer_id, view.subject_type, view.pk, view.version, data)
        )


ACTIVITY_KINDS = [
    Activity.Kind.CALL.value,
    Activity.Kind.MEETING.value,
    Activity.Kind.EMAIL.value,
    Activity.Kind.TASK.value,
    Activity.Kind.NOTE.value,
]


class _View:
    """A stand-in for a model instance that a payload builder reads: the row's columns
    as attributes, plus `pk`, the subject type and the account it concerns."""

    def __init__(self, subject_type: str, row: dict, **extra: Any):
        self.__dict__.update(row)
        self.__dict__.update(extra)
        self.pk = row["id"]
        self.subject_type = subject_type
        self.customer_id = row["account_id"]


class _AccountView(_View):
    """Also `owner` and `tags.all()`, which account_data reads, without queries."""

    def __init__(self, row: dict, tags: list[str], owner):
        super().__init__("crm.account", {**row, "account_id": row["id"]})
        tag_objects = [SimpleNamespace(name=name) for name in tags]
        self.tags = SimpleNamespace(all=lambda: tag_objects)
        self.owner = owner


# ---------------------------------------------------------------- scale: writing


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_converter(model_field: models.Field) -> Callable[[Any], str]:
    """How one column's Python value is written in COPY's text format."""
    kind = model_field.get_internal_type()
    if kind == "BooleanField":
        convert = {True: "t", False: "f"}.__getitem__
    elif kind in ("DateTimeField", "DateField"):
        convert = methodcaller("isoformat")
    elif kind == "JSONField":

        def convert(value):
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(
                _COPY_ESCAPES
            )

    elif kind in ("CharField", "TextField", "EmailField", "URLField", "SlugField"):
        convert = methodcaller("translate", _COPY_ESCAPES)
    else:  # numbers, decimals, UUIDs: their str() is what PostgreSQL reads
        convert = str
    if not model_field.null:
        return convert
    return lambda value: "\\N" if value is None else convert(value)


class _Writer:
    """Writes rows to a table: COPY on PostgreSQL (psycopg2), batched INSERTs elsewhere."""

    def __init__(self) -> None:
        self.use_copy = connection.vendor == "postgresql"
        if self.use_copy:
            with connection.cursor() as cursor:
                self.use_copy = hasattr(cursor.cursor, "copy_expert")

    @staticmethod
    def reserve_ids(model: type[models.Model], count: int) -> int:
        """The first of `count` consecutive primary keys that nobody else will get."""
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                    " nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                    [table, table, count],
                )
                return cursor.fetchone()[0] - count + 1
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608
            return cursor.fetchone()[0]

    @staticmethod
    def copy_text(model: type[models.Model], columns: list[str], rows: list[dict]) -> str:
        """The rows in COPY's text format (pure Python: runs in the producer thread)."""
        converters = [(c, _copy_converter(model._meta.get_field(c))) for c in columns]
        return "".join(
            ["\t".join([convert(row[c]) for c, convert in converters]) + "\n" for row in rows]
        )

    @staticmethod
    def copy(model: type[models.Model], columns: list[str], text: str) -> None:
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {table} ({names}) FROM STDIN", io.StringIO(text), size=1 << 20
            )

    @staticmethod
    def insert(model: type[models.Model], columns: list[str], rows: list[dict]) -> None:
        if not rows:
            return
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        fields = [model._meta.get_field(c) for c in columns]
        placeholders = ", ".join(["%s"] * len(columns))
        values = [
            [f.get_db_prep_save(row[c], connection) for f, c in zip(fields, columns, strict=True)]
            for row in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608 - our tables
                values,
            )


EVENT_COLUMNS = [
    "uuid", "type", "version", "occurred_at", "txid", "actor_type", "actor_id", "actor_label",
    "customer_id", "subject_type", "subject_id", "subject_version", "data",
]  # fmt: skip
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


# Event ids: random version-4 UUIDs from a generator seeded once by the OS, since
# uuid.uuid4() (a system call each) was a tenth of the load's time.
_uuid_bits = random.Random(os.urandom(32)).getrandbits  # noqa: S311 - ids, not secrets
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def _uuid4_hex() -> str:
    return f"{(_uuid_bits(128) & _UUID_CLEAR) | _UUID_SET:032x}"


def _event_copy_text(events: list[tuple], txid: int | None) -> str:
    """Events in COPY's text format, by hand: the bulk of the load, so no generic path.

    Type, subject type and ids never hold characters COPY escapes; the data may.
    """
    tx = "\\N" if txid is None else str(txid)
    system = Event.ActorType.SYSTEM.value
    return "".join(
        [
            f"{_uuid4_hex()}\t{kind}\t1\t{when.isoformat()}\t{tx}\t{system}\t\t\t{customer}\t"
            f"{subject_type}\t{subject_id}\t{version}\t{_json(data).translate(_COPY_ESCAPES)}\n"
            for kind, when, customer, subject_type, subject_id, version, data in events
        ]
    )


def _event_rows(events: list[tuple], txid: int | None) -> list[dict]:
    return [
        dict(
            zip(
                EVENT_COLUMNS,
                (uuid.uuid4(), kind, 1, when, txid, Event.ActorType.SYSTEM.value, "", "",
                 customer, subject_type, str(subject_id), version, data),
                strict=True,
            )
        )
        for kind, when, customer, subject_type, subject_id, version, data in events
    ]  # fmt: skip


def _columns(model: type[models.Model], *, skip: Sequence[str] = ()) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.attname not in skip]


def _scale_done() -> int:
    """The highest scale index already loaded (scale accounts are loaded 1..N in order)."""
    last = (
        Account.objects.filter(tax_id__startswith=SCALE_TAX_PREFIX)
        .order_by("-tax_id")
        .values_list("tax_id", flat=True)
        .first()
    )
    return int(last.removeprefix(SCALE_TAX_PREFIX)) if last else 0


def seed_scale(total: int, *, log: Log, rebuild: bool = True) -> None:
    """Scale accounts 1..`total` (those missing) with their rows and events, inside the
    caller's transaction; then, once it commits, the 360° view rebuilt (unless told not
    to: benchmarks add events of their own first)."""
    done = _scale_done()
    if done >= total:
        log(f"{done} scale accounts already present (asked for {total}).")
        return
    started = time.perf_counter()
    users = _demo_users()
    owners = [u for u in (users.get("sales"), users.get("manager")) if u] or [None]
    tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}
    writer = _Writer()
    txid = None
    if connection.vendor == "postgresql":
        # The feed hands events out in (txid, seq) order once their transaction commits:
        # these all belong to seed_demo's transaction, as publish() would record them.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()::text::bigint")
            txid = cursor.fetchone()[0]
    factory = _ScaleFactory(owners=owners, stages=_default_stages(), tags=tags, now=timezone.now())
    first, count = done + 1, total - done
    evens = len(range(first + first % 2, total + 1, 2))
    ids = _Ids(
        first=first,
        account=writer.reserve_ids(Account, count),
        contact=writer.reserve_ids(Contact, 3 * count),
        opportunity=writer.reserve_ids(Opportunity, max(evens, 1)),
        activity=writer.reserve_ids(Activity, count),
    )
    tables = [
        (Account, _columns(Account), "accounts"),
        (Account.tags.through, ["account_id", "tag_id"], "account_tags"),
        (Contact, _columns(Contact), "contacts"),
        (Opportunity, _columns(Opportunity), "opportunities"),
        (Activity, _columns(Activity), "activities"),
    ]
    totals = dict.fromkeys(("accounts", "contacts", "opportunities", "activities", "events"), 0)

    def batches() -> Iterable[_Batch]:
        for start in range(first, total + 1, CHUNK):
            batch = _Batch()
            for index in range(start, min(start + CHUNK, total + 1)):
                factory.build(index, ids, batch)
            yield batch

    def report(batch: _Batch) -> None:
        for name in totals:
            totals[name] += len(getattr(batch, name))
        if totals["accounts"] % (20 * CHUNK) == 0 or totals["accounts"] == count:
            elapsed = time.perf_counter() - started
            log(
                f"  {done + totals['accounts']}/{total} accounts, {totals['events']} events "
                f"({elapsed:.0f} s, {totals['accounts'] / elapsed:,.0f} accounts/s)"
            )

    # A big load into small tables: dropping their plain indexes (not the unique ones) and
    # building them once at the end is several times faster than updating them row by
    # row, the trigram ones above all. It locks the tables until the load commits.
    rebuild_indexes = writer.use_copy and count >= BIG_LOAD and count >= Account.objects.count()
    # The account words, which PostgreSQL writes as the accounts and contacts arrive
    # (crm/migrations/0012), grow as much.
    loaded_too = [Event, AccountWord]
    dropped = _drop_plain_indexes([*(t[0] for t in tables), *loaded_too]) if rebuild_indexes else []
    if writer.use_copy:
        # Python builds and formats the next chunk while PostgreSQL ingests this one.
        def texts(batch: _Batch) -> list[str]:
            rows = [writer.copy_text(m, cols, getattr(batch, attr)) for m, cols, attr in tables]
            return [*rows, _event_copy_text(batch.events, txid)]

        targets = [(model, columns) for model, columns, _attr in tables]
        targets.append((Event, EVENT_COLUMNS))
        for batch, chunk_texts in _prefetched(batches(), texts):
            for (model, columns), text in zip(targets, chunk_texts, strict=True):
                if text:
                    writer.copy(model, columns, text)
            report(batch)
    else:
        for batch in batches():
            for model, columns, attr in tables:
                writer.insert(model, columns, getattr(batch, attr))
            writer.insert(Event, EVENT_COLUMNS, _event_rows(batch.events, txid))
            report(batch)
    if dropped:
        indexes_started = time.perf_counter()
        _create_indexes(dropped)
        log(f"  {len(dropped)} indexes built in {time.perf_counter() - indexes_started:.0f} s")
    loaded = time.perf_counter() - started
    log(
        f"Scale CRM: {totals['accounts']} accounts, {totals['contacts']} contacts, "
        f"{totals['opportunities']} opportunities, {totals['activities']} activities and "
        f"{totals['events']} events in {loaded:.1f} s "
        f"({totals['accounts'] / loaded:,.0f} accounts/s, {totals['events'] / loaded:,.0f} "
        "events/s)."
    )
    if rebuild:
        # After seed_demo's transaction commits: the rebuild reads the log as any reader would.
        transaction.on_commit(lambda: _rebuild_customer_view(log))


def _drop_plain_indexes(models_: Sequence[type[models.Model]]) -> list[str]:
    """Drop the tables' non-unique indexes; returns their definitions, to create again."""
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique AND NOT indisprimary"
            " ORDER BY 1",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in indexes]


def _create_indexes(definitions: list[str]) -> None:
    with connection.cursor() as cursor:
        # The deferred foreign-key checks of the loaded rows first: PostgreSQL builds no
        # index on a table with such checks pending. They would run at commit anyway.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for definition in definitions:
            cursor.execute(definition)


def _prefetched(items: Iterable[_Batch], prepare: Callable[[_Batch], Any]):
    """Yield (item, prepare(item)), computing the next one in a thread meanwhile.

    The thread touches no database: ids were reserved up front.
    """
    results: queue.Queue = queue.Queue(maxsize=1)
    done = object()

    def produce() -> None:
        try:
            for item in items:
                results.put((item, prepare(item)))
        except BaseException as exc:  # handed to the consumer, which raises it
            results.put(exc)
        else:
            results.put(done)

    worker = threading.Thread(target=produce, name="seed-scale", daemon=True)
    worker.start()
    while True:
        result = results.get()
        if result is done:
            break
        if isinstance(result, BaseException):
            raise result
        yield result
    worker.join()


def _rebuild_customer_view(log: Log) -> None:
    output = io.StringIO()
    try:
        started = time.perf_counter()
        call_command("rebuild_customer_view", stdout=output)
    except Exception as exc:
        log(f"The 360° view was not rebuilt ({exc}): run `manage.py rebuild_customer_view`.")
        return
    for line in output.getvalue().splitlines():
        log(f"  {line}")
    log(f"360° view rebuilt from the event log in {time.perf_counter() - started:.1f} s.")
