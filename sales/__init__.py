"""Sales: quotes, orders and contracts."""
