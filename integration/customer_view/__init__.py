"""The 360° customer view: a read model of every customer, built only from events.

Public API for the areas that contribute to it:

- `applier(*patterns)` — a function that applies a batch of events to projection rows;
- `register_aggregate(name, defaults=..., compute=...)` — figures recomputed from those rows;
- `register_entity_model(model)` — a projection table keyed by natural id with `account_id`;
- `register_fact_source(name, fn)` — from a domain app (e.g. crm/facts.py): the same
  figures computed from its own tables, compared with the view by `check_customer_view`;
- `register_source_page(subject_type, url_name)` — from a domain app's AppConfig.ready:
  the page the 360° view links an entity or timeline entry of that type to.

Importing this package registers the CRM and sales appliers (integration's handlers.py
does it). `top_products` is the ranking rule sales/facts.py shares with the view;
`by_account`, `by_currency` and `in_currency` the money rule the fact sources share with it.
"""

from integration.customer_view import (
    crm_appliers,  # noqa: F401 - registers crm.* appliers
    sales_appliers,  # noqa: F401 - registers sales.* appliers
)
from integration.customer_view.money import by_account, by_currency, in_currency
from integration.customer_view.projections import apply_events, recompute_accounts
from integration.customer_view.registry import (
    Batch,
    applier,
    fact_sources,
    handles,
    register_aggregate,
    register_entity_model,
    register_fact_source,
    register_source_page,
    source_page,
    watch,
)
from integration.customer_view.sales_appliers import top_products

__all__ = [
    "Batch",
    "applier",
    "apply_events",
    "by_account",
    "by_currency",
    "fact_sources",
    "handles",
    "in_currency",
    "recompute_accounts",
    "register_aggregate",
    "register_entity_model",
    "register_fact_source",
    "register_source_page",
    "source_page",
    "top_products",
    "watch",
]
