"""Integration: the bottom layer — tokens, roles, page shell; later the event bus and 360° view."""
