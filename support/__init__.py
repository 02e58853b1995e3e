"""Customer support: tickets, SLAs and the knowledge base."""
