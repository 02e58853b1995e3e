"""Prices: which price list applies to an account, and the unit price of a product for it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from crm.models import Account, Segment
from crm.selectors import segment_accounts
from inventory.models import Product
from sales.models import PriceList, PriceListItem
from sales.services.base import bump, lock


def _in_segment(account: Account, segment: Segment, cache: dict[int, bool]) -> bool:
    if segment.pk not in cache:
        cache[segment.pk] = segment_accounts(segment).filter(pk=account.pk).exists()
    return cache[segment.pk]


def price_for(*, product: Product, account: Account, quantity: Decimal, currency: str) -> Decimal:
    """The unit price of `quantity` of `product` for `account`, in `currency`.

    Active price lists of the currency apply: those of a segment the account is in first,
    else the general ones (no segment). In each list the largest quantity break not above
    `quantity` counts; among lists of the same kind the lowest such price wins. No list:
    the product's own sales price.
    """
    items = (
        PriceListItem.objects.filter(
            product=product,
            price_list__active=True,
            price_list__currency=currency,
            min_quantity__lte=quantity,
        )
        .select_related("price_list__segment")
        .order_by("price_list_id", "-min_quantity")
    )
    best_per_list: dict[int, PriceListItem] = {}
    for item in items:
        best_per_list.setdefault(item.price_list_id, item)
    membership: dict[int, bool] = {}
    segment_prices = [
        item.unit_price
        for item in best_per_list.values()
        if item.price_list.segment is not None
        and _in_segment(account, item.price_list.segment, membership)
    ]
    if segment_prices:
        return min(segment_prices)
    general = [i.unit_price for i in best_per_list.values() if i.price_list.segment_id is None]
    if general:
        return min(general)
    return product.sales_price


# ---------------------------------------------------------------- price lists


def _items(price_list: PriceList, items: Sequence[Mapping[str, Any]]) -> None:
    price_list.items.all().delete()
    rows = []
    for index, data in enumerate(items):
        item = PriceListItem(
            price_list=price_list,
            product=data["product"],
            min_quantity=data.get("min_quantity", Decimal("1")),
            unit_price=data["unit_price"],
        )
        try:
            item.full_clean(exclude=["price_list", "product"], validate_unique=False)
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise ValidationError(
                {"items": [f"Item {index + 1}: {field}: {' '.join(messages)}"]}
            ) from None
        rows.append(item)
    keys = [(r.product_id, r.min_quantity) for r in rows]
    if len(set(keys)) != len(keys):
        raise ValidationError({"items": ["A product has two prices from the same quantity."]})
    PriceListItem.objects.bulk_create(rows)


_SECOND_DEFAULT = "There is already a default price list in this currency."


def _save(price_list: PriceList, *, create: bool, fields: Sequence[str] = ()) -> None:
    if (
        price_list.is_default
        and PriceList.objects.filter(currency=price_list.currency, is_default=True)
        .exclude(pk=price_list.pk)
        .exists()
    ):
        raise ValidationError({"is_default": [_SECOND_DEFAULT]})
    price_list.full_clean(validate_constraints=True)
    try:
        with transaction.atomic():
            if create:
                price_list.save()
            else:
                bump(price_list, fields)
    except IntegrityError as exc:  # a concurrent second default of the currency
        raise ValidationError({"is_default": [_SECOND_DEFAULT]}) from exc


@transaction.atomic
def price_list_create(
    *, name: str, items: Sequence[Mapping[str, Any]] = (), **fields: Any
) -> PriceList:
    price_list = PriceList(name=(name or "").strip(), **fields)
    _save(price_list, create=True)
    _items(price_list, items)
    return price_list


@transaction.atomic
def price_list_update(
    *, price_list: PriceList, items: Sequence[Mapping[str, Any]] | None = None, **fields: Any
) -> PriceList:
    """Change details; `items` (when given) replace every item of the list."""
    lock(price_list)
    for key, value in fields.items():
        setattr(price_list, key, value)
    _save(price_list, create=False, fields=[PriceList._meta.get_field(k).name for k in fields])
    if items is not None:
        _items(price_list, items)
    return price_list


@transaction.atomic
def price_list_delete(*, price_list: PriceList) -> None:
    price_list.delete()
