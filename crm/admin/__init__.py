"""crm's admin: accounts.py (accounts, contacts, resellers), leads.py (leads, stages), quotes.py (quotes, lines),
inbox.py (channels, conversations, messages, teams, agents, labels, canned replies)."""

from . import accounts, inbox, leads, quotes  # noqa: F401
