"""crm's admin: accounts.py (accounts, contacts, resellers), leads.py (leads, stages), quotes.py (quotes, lines),
inbox.py (channels, conversations, messages, teams, agents, labels, canned replies), automation.py (rules,
their runs, automated messages, satisfaction answers)."""

from . import accounts, automation, inbox, leads, quotes  # noqa: F401
