"""Pages of inventory, under /inventory/."""
