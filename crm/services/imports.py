"""CSV import of accounts and contacts: checked row by row, written all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from crm.models import Account
from crm.services.accounts import account_create
from crm.services.contacts import contact_create

ACCOUNT_COLUMNS = (
    "name", "kind", "status", "industry", "size", "website", "email", "phone",
    "billing_street", "billing_city", "billing_postal_code", "billing_country",
    "shipping_street", "shipping_city", "shipping_postal_code", "shipping_country",
    "tax_id", "currency", "owner", "tags",
)  # fmt: skip
CONTACT_COLUMNS = (
    "account_id", "account", "first_name", "last_name", "email", "phone", "title",
    "marketing_consent", "consent_source", "owner",
)  # fmt: skip
# Friendly header names (as exported lists and spreadsheets spell them).
ALIASES = {"country": "billing_country", "account_name": "account", "consent": "marketing_consent"}
MAX_ROWS = 10_000


@dataclass
class ImportResult:
    """created: rows written (in a dry run: rows that would be); 0 if any row has errors.
    errors: (row number counting data rows from 1, {field: [messages]})."""

    created: int = 0
    errors: list[tuple[int, dict[str, list[str]]]] = field(default_factory=list)
    rows: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def read_csv(content: bytes | str) -> list[dict[str, str]]:
    """CSV text (UTF-8, with or without BOM; comma or semicolon) as row dicts."""
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content.lstrip("\ufeff")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    return [row for row in reader if any((v or "").strip() for v in row.values() if v)]


def _normalise(row: dict[str, Any]) -> dict[str, str]:
    result = {}
    for key, value in row.items():
        if key is None:  # surplus cells without a header
            continue
        name = ALIASES.get(key.strip().lower(), key.strip().lower())
        result[name] = "" if value is None else str(value).strip()
    return result


def _user(value: str) -> AbstractBaseUser | None:
    if not value:
        return None
    users = get_user_model().objects.filter(is_active=True)
    match = (
        users.filter(username__iexact=value).first() or users.filter(email__iexact=value).first()
    )
    if match is None:
        raise ValidationError({"owner": [f"No active user {value!r}."]})
    return match


def _bool(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in {"", "0", "false", "no", "n", "f"}:
        return False
    if text in {"1", "true", "yes", "y", "t", "x"}:
        return True
    raise ValidationError({name: [f"{value!r} is not yes/no."]})


def _account_row(row: dict[str, str], user: AbstractBaseUser | None) -> None:
    fields: dict[str, Any] = {
        name: row[name] for name in ACCOUNT_COLUMNS if name in row and row[name] != ""
    }
    name = fields.pop("name", "")
    tags = [t for t in fields.pop("tags", "").replace(";", ",").split(",") if t.strip()]
    if "owner" in fields:
        fields["owner"] = _user(fields["owner"])
    for country in ("billing_country", "shipping_country"):
        if country in fields:
            fields[country] = fields[country].upper()
    if "currency" in fields:
        fields["currency"] = fields["currency"].upper()
    account_create(name=name, user=user, tags=tags, **fields)


def _contact_row(row: dict[str, str], user: AbstractBaseUser | None) -> None:
    fields: dict[str, Any] = {
        name: row[name] for name in CONTACT_COLUMNS if name in row and row[name] != ""
    }
    account = _account_for(fields.pop("account_id", ""), fields.pop("account", ""))
    if "owner" in fields:
        fields["owner"] = _user(fields["owner"])
    if "marketing_consent" in fields:
        fields["marketing_consent"] = _bool("marketing_consent", fields["marketing_consent"])
    first_name = fields.pop("first_name", "")
    contact_create(account=account, first_name=first_name, user=user, **fields)


def _account_for(account_id: str, name: str) -> Account:
    if account_id:
        try:
            return Account.objects.get(pk=int(account_id))
        except (ValueError, Account.DoesNotExist):
            raise ValidationError({"account_id": [f"No account {account_id!r}."]}) from None
    if not name:
        raise ValidationError({"account": ["Give the account's id or name."]})
    matches = list(Account.objects.filter(name__iexact=name)[:2])
    if not matches:
        raise ValidationError({"account": [f"No account named {name!r}."]})
    if len(matches) > 1:
        raise ValidationError(
            {"account": [f"Several accounts are named {name!r}: use account_id."]}
        )
    return matches[0]


def _import(
    rows: list[dict[str, Any]],
    write_row: Callable[[dict[str, str], AbstractBaseUser | None], None],
    *,
    user: AbstractBaseUser | None,
    dry_run: bool,
) -> ImportResult:
    result = ImportResult(rows=len(rows), dry_run=dry_run)
    if len(rows) > MAX_ROWS:
        result.errors.append((0, {NON_FIELD_ERRORS: [f"At most {MAX_ROWS} rows per file."]}))
        return result
    created = 0
    with transaction.atomic():
        for number, raw in enumerate(rows, start=1):
            try:
                # A savepoint per row: a constraint error leaves the rest of the file usable.
                with transaction.atomic():
                    write_row(_normalise(raw), user)
            except ValidationError as exc:
                messages = (
                    exc.message_dict
                    if hasattr(exc, "error_dict")
                    else {NON_FIELD_ERRORS: exc.messages}
                )
                result.errors.append((number, messages))
            else:
                created += 1
        if result.errors or dry_run:
            # Rows, events and all: nothing of an invalid file or a preview stays.
            transaction.set_rollback(True)
    result.created = 0 if result.errors else created
    return result


def account_import(
    *, rows: list[dict[str, Any]], user: AbstractBaseUser | None = None, dry_run: bool
) -> ImportResult:
    """Create accounts from CSV rows (columns ACCOUNT_COLUMNS; tags split on , or ;)."""
    return _import(rows, _account_row, user=user, dry_run=dry_run)


def contact_import(
    *, rows: list[dict[str, Any]], user: AbstractBaseUser | None = None, dry_run: bool
) -> ImportResult:
    """Create contacts from CSV rows; the account by account_id or by exact name."""
    return _import(rows, _contact_row, user=user, dry_run=dry_run)
