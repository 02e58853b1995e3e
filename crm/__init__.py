"""CRM and marketing: accounts, contacts, leads, opportunities, campaigns."""
