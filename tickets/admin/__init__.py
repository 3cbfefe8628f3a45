"""The admin of tickets: sla.py for business calendars and SLA policies, desk.py for teams, tickets and their
comments, clocks.py for SLA clocks and their events, console.py for saved views and macros, attachments.py for
ticket files. Importing them registers every model."""

from . import attachments, clocks, console, desk, sla  # noqa: F401
