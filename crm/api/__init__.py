"""The CRM REST API: /api/v1/crm/."""
