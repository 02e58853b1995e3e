"""Pages of sales, one module per concept; sales/urls.py maps them under /sales/."""
