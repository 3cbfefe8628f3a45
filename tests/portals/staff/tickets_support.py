"""Fixtures shared by the staff console's ticket tests (imported by each test_tickets_*.py)."""

__all__ = ["billing", "dispatcher", "network", "nobody", "ours", "theirs"]

import pytest

from tests.omni.factories import StaffFactory
from tests.tickets.factories import TeamFactory, TicketFactory

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def network(agent):
    """The agent's team."""
    return TeamFactory(name="Network", members=[agent])


@pytest.fixture
def billing(db):
    """A team the agent is not a member of."""
    return TeamFactory(name="Billing")


@pytest.fixture
def dispatcher(db):
    """Staff who read tickets (view_ticket) but may not change them."""
    return StaffFactory(email="dispatcher@example.com", roles=["Dispatcher"])


@pytest.fixture
def nobody(db):
    """Staff whose role lacks tickets.view_ticket."""
    return StaffFactory(email="sales.person@example.com", roles=["Sales"])


@pytest.fixture
def ours(account, network):
    return TicketFactory(account=account, team=network, subject="Router keeps rebooting")


@pytest.fixture
def theirs(account, billing):
    return TicketFactory(account=account, team=billing, subject="Invoice charged twice")
