"""Pages of crm, one module per concept; crm/urls.py maps them under /crm/."""
