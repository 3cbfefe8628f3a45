"""The admin of tickets: sla.py for business calendars and SLA policies, desk.py for teams, tickets and their
comments. Importing both registers every model."""

from . import desk, sla  # noqa: F401
from .console import MacroAdmin, SavedViewAdmin  # noqa: F401
