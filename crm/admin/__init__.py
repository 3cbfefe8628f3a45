"""crm's admin: accounts.py (accounts, contacts, resellers), leads.py (leads, stages), quotes.py (quotes, lines),
inbox.py (channels, conversations, messages, teams, agents, labels, canned replies), automation.py (rules,
their runs, automated messages, satisfaction answers), inbox_ingest.py (inbound webhooks waiting or processed)."""

from . import accounts, automation, inbox, inbox_ingest, leads, quotes  # noqa: F401
