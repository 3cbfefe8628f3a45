"""crm's admin: accounts.py (accounts, contacts, resellers), leads.py (leads, stages), quotes.py (quotes, lines)."""

from . import accounts, automation, leads, quotes  # noqa: F401
