"""The admin of tickets: sla.py for business calendars and SLA policies, desk.py for teams, tickets and their
comments, clocks.py for SLA clocks and their events. Importing them registers every model."""

from . import clocks, desk, sla  # noqa: F401
