"""CRM services: every write to CRM state, validated, versioned and published as an event.

    from crm import services
    account = services.account_create(name="Acme Oy", user=request.user)

Split by concept; everything public is re-exported here, so callers import this package.
"""

from crm.services.accounts import (
    account_create,
    account_delete,
    account_merge,
    account_update,
    domain_of,
    normalize_name,
)
from crm.services.activities import (
    activity_complete,
    activity_delete,
    activity_log,
    activity_update,
)
from crm.services.contacts import contact_create, contact_delete, contact_update
from crm.services.imports import ImportResult, account_import, contact_import, read_csv
from crm.services.leads import (
    WEB_LEAD_FIELDS,
    WEB_LEAD_HONEYPOT,
    lead_convert,
    lead_create,
    lead_update,
    web_lead_submit,
)
from crm.services.marketing import (
    campaign_create,
    campaign_member_mark,
    campaign_send,
    campaign_update,
    segment_create,
    segment_delete,
    segment_update,
)
from crm.services.opportunities import (
    first_stage,
    opportunity_create,
    opportunity_delete,
    opportunity_move,
    opportunity_update,
)

__all__ = [
    "WEB_LEAD_FIELDS",
    "WEB_LEAD_HONEYPOT",
    "ImportResult",
    "account_create",
    "account_delete",
    "account_import",
    "account_merge",
    "account_update",
    "activity_complete",
    "activity_delete",
    "activity_log",
    "activity_update",
    "campaign_create",
    "campaign_member_mark",
    "campaign_send",
    "campaign_update",
    "contact_create",
    "contact_delete",
    "contact_import",
    "contact_update",
    "domain_of",
    "first_stage",
    "lead_convert",
    "lead_create",
    "lead_update",
    "normalize_name",
    "opportunity_create",
    "opportunity_delete",
    "opportunity_move",
    "opportunity_update",
    "read_csv",
    "segment_create",
    "segment_delete",
    "segment_update",
    "web_lead_submit",
]
