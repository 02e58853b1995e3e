"""Contract services: record, change and end contracts; remind of renewals 30 days ahead."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.models import Account
from integration.events import publish
from sales.errors import ContractEnded
from sales.events import contract_data
from sales.models import Contract
from sales.services.base import assign_number, bump, lock

RENEWAL_NOTICE_DAYS = 30
_EDITABLE = (
    "title",
    "start_date",
    "end_date",
    "value",
    "currency",
    "renewal_terms",
    "auto_renew",
    "document",
    "owner",
    "owner_id",
)


def _publish(event_type: str, contract: Contract, actor: Any = None) -> None:
    publish(
        event_type,
        subject=contract,
        data=contract_data(contract),
        customer_id=contract.account_id,
        actor=actor,
    )


@transaction.atomic
def contract_create(
    *,
    account: Account,
    title: str,
    start_date: dt.date,
    end_date: dt.date,
    actor: Any = None,
    **fields: Any,
) -> Contract:
    unknown = set(fields) - set(_EDITABLE)
    if unknown:
        raise TypeError(f"contract_create cannot set {sorted(unknown)}")
    contract = Contract(
        account=account,
        title=(title or "").strip(),
        start_date=start_date,
        end_date=end_date,
        **fields,
    )
    if "currency" not in fields:
        contract.currency = account.currency
    if contract.owner_id is None and getattr(actor, "is_authenticated", False):
        contract.owner = actor
    contract.full_clean(exclude=["number"])
    contract.save()
    assign_number(contract, "C")
    _publish("sales.contract.created", contract, actor)
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, actor: Any = None, **fields: Any) -> Contract:
    """Change an active contract; a new end date makes a new renewal reminder due."""
    lock(contract)
    if contract.status == Contract.Status.ENDED:
        raise ContractEnded()
    unknown = set(fields) - set(_EDITABLE)
    if unknown:
        raise TypeError(f"contract_update cannot set {sorted(unknown)}")
    old_end = contract.end_date
    for key, value in fields.items():
        setattr(contract, key, value)
    contract.full_clean(exclude=["number"])
    changed = {Contract._meta.get_field(k).name for k in fields}
    if contract.end_date != old_end:
        contract.renewal_reminded_at = None
        changed.add("renewal_reminded_at")
    bump(contract, changed)
    _publish("sales.contract.updated", contract, actor)
    return contract


@transaction.atomic
def contract_end(*, contract: Contract, actor: Any = None) -> Contract:
    lock(contract)
    if contract.status == Contract.Status.ENDED:
        raise ContractEnded()
    contract.status = Contract.Status.ENDED
    contract.ended_at = timezone.now()
    bump(contract, ["status", "ended_at"])
    _publish("sales.contract.ended", contract, actor)
    return contract


def contract_remind_renewals(*, today: dt.date | None = None) -> list[int]:
    """Publish `sales.contract.renewal_due` once for each active contract that ends within
    the next 30 days and has not been reminded of it; returns their ids."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=RENEWAL_NOTICE_DAYS)
    due = list(
        Contract.objects.filter(
            status=Contract.Status.ACTIVE,
            renewal_reminded_at__isnull=True,
            end_date__gte=today,
            end_date__lte=horizon,
        )
        .order_by("end_date", "id")
        .values_list("id", flat=True)
    )
    reminded = []
    for pk in due:
        with transaction.atomic():
            contract = (
                Contract.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, renewal_reminded_at__isnull=True, status=Contract.Status.ACTIVE)
                .first()
            )
            if contract is None:
                continue
            contract.renewal_reminded_at = timezone.now()
            bump(contract, ["renewal_reminded_at"])
            _publish("sales.contract.renewal_due", contract)
            reminded.append(pk)
    return reminded
