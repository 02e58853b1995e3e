"""Sales services: every write to sales state, validated, versioned and published as an event.

    from sales import services
    order = services.order_create(account=account, lines=[{"product": p, "quantity": 1}])
    services.order_confirm(order=order, actor=request.user)

Split by concept; everything public is re-exported here, so callers import this package.
"""

from sales.services.contracts import (
    contract_create,
    contract_end,
    contract_remind_renewals,
    contract_update,
)
from sales.services.orders import (
    order_cancel,
    order_close,
    order_confirm,
    order_create,
    order_ship,
    order_update,
)
from sales.services.pricing import (
    price_for,
    price_list_create,
    price_list_delete,
    price_list_update,
)
from sales.services.quotes import (
    quote_accept,
    quote_create,
    quote_expire_overdue,
    quote_reject,
    quote_send,
    quote_update,
)

__all__ = [
    "contract_create",
    "contract_end",
    "contract_remind_renewals",
    "contract_update",
    "order_cancel",
    "order_close",
    "order_confirm",
    "order_create",
    "order_ship",
    "order_update",
    "price_for",
    "price_list_create",
    "price_list_delete",
    "price_list_update",
    "quote_accept",
    "quote_create",
    "quote_expire_overdue",
    "quote_reject",
    "quote_send",
    "quote_update",
]
