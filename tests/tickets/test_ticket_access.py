"""Who sees and works which tickets: team members, guardian read/full access on a team, Admin, customers,
resellers. Every list and count goes through these selectors."""

import pytest

from crm import services as crm_services
from omni.exceptions import NotAllowed
from tests.crm.factories import AccountFactory
from tests.omni.factories import StaffFactory
from tests.tickets.factories import TeamFactory, TicketFactory
from tickets import selectors, services
from tickets.choices import TeamAccess, TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(agent):
    network = TeamFactory(name="Network", members=[agent])
    billing = TeamFactory(name="Billing")
    return network, billing


@pytest.fixture
def tickets(teams, account):
    network, billing = teams
    return {
        "network": TicketFactory(account=account, team=network),
        "billing": TicketFactory(account=account, team=billing),
        "intake": TicketFactory(account=account, team=None),
    }


def _visible(user) -> set:
    return set(selectors.ticket_list_visible_to(user=user).values_list("subject", flat=True))


def _subjects(tickets, *names) -> set:
    return {tickets[name].subject for name in names}


def test_members_see_their_teams_and_the_intake(agent, tickets):
    assert _visible(agent) == _subjects(tickets, "network", "intake")
    assert selectors.ticket_list_visible_to(user=agent).count() == 2


def test_assigned_tickets_are_visible_outside_the_team(agent, tickets):
    tickets["billing"].assignee = agent
    tickets["billing"].save()
    assert _visible(agent) == _subjects(tickets, "network", "intake", "billing")


@pytest.mark.parametrize(
    ("access", "sees_billing", "works_billing"),
    [(TeamAccess.FULL, True, True), (TeamAccess.READ, True, False), (TeamAccess.NONE, False, False)],
)
def test_guardian_access_on_a_team(agent, teams, tickets, access, sees_billing, works_billing):
    billing = teams[1]
    services.team_access_set(team_id=billing.pk, user_id=agent.pk, access=access)
    expected = _subjects(tickets, "network", "intake") | (_subjects(tickets, "billing") if sees_billing else set())
    assert _visible(agent) == expected
    assert selectors.ticket_can_work(user=agent, ticket=tickets["billing"]) is works_billing
    if sees_billing and not works_billing:
        with pytest.raises(NotAllowed) as err:
            services.ticket_transition(ticket_id=tickets["billing"].pk, to=TicketStatus.OPEN, by=agent)
        assert err.value.status_code == 403
        with pytest.raises(NotAllowed):
            services.comment_add(ticket_id=tickets["billing"].pk, author=agent, body="hi")


def test_access_is_replaced_not_added(agent, teams, tickets):
    billing = teams[1]
    services.team_access_set(team_id=billing.pk, user_id=agent.pk, access=TeamAccess.FULL)
    services.team_access_set(team_id=billing.pk, user_id=agent.pk, access=TeamAccess.READ)
    assert agent.has_perm("tickets.read_team_tickets", billing) is True
    assert agent.has_perm("tickets.work_team_tickets", billing) is False
    services.team_access_set(team_id=billing.pk, user_id=agent.pk, access=TeamAccess.NONE)
    assert _visible(agent) == _subjects(tickets, "network", "intake")


def test_model_permissions_still_work_beside_guardian(agent, teams):
    # The guardian backend sits after ModelBackend: role permissions answer as before, per object too.
    assert agent.has_perm("crm.view_account") is True
    assert agent.has_perm("tickets.view_ticket") is True
    assert agent.has_perm("tickets.delete_ticket") is False
    assert agent.has_perm("tickets.read_team_tickets", teams[1]) is False


def test_admin_sees_every_team(admin_user, tickets):
    assert _visible(admin_user) == _subjects(tickets, "network", "billing", "intake")


def test_members_are_set_by_the_service(agent, teams, tickets):
    network = teams[0]
    services.team_members_set(team_id=network.pk, user_ids=[])
    assert _visible(agent) == _subjects(tickets, "intake")


def test_staff_with_access_switched_off_see_nothing(agent, tickets):
    agent.is_staff = False
    agent.save()
    assert _visible(agent) == set()


def test_customers_see_their_accounts_tickets_only(customer, other_customer, tickets, other_account):
    theirs = TicketFactory(account=other_account)
    assert _visible(customer) == _subjects(tickets, "network", "billing", "intake")
    assert _visible(other_customer) == {theirs.subject}
    assert not selectors.ticket_list_visible_to(user=customer).filter(pk=theirs.pk).exists()
    assert list(selectors.comment_list_visible_to(user=customer, ticket_id=theirs.pk)) == []


def test_resellers_see_their_accounts_tickets(reseller, reseller_org, tickets):
    theirs = TicketFactory(account=AccountFactory(reseller=reseller_org))
    assert _visible(reseller) == {theirs.subject}


def test_vendors_see_no_tickets(vendor, tickets):
    assert _visible(vendor) == set()


def test_deleted_tickets_leave_every_list(agent, admin_user, customer, tickets):
    services.ticket_delete(ticket_id=tickets["intake"].pk, by=admin_user)
    assert _visible(agent) == _subjects(tickets, "network")
    assert tickets["intake"].subject not in _visible(customer)
    services.ticket_restore(ticket_id=tickets["intake"].pk, by=admin_user)
    assert _visible(agent) == _subjects(tickets, "network", "intake")


def test_only_staff_can_be_members_or_granted(teams, customer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        services.team_members_set(team_id=teams[0].pk, user_ids=[customer.pk])
    assert err.value.message_dict == {"members": ["Only active staff users can be chosen."]}
    with pytest.raises(ValidationError) as err:
        services.team_access_set(team_id=teams[0].pk, user_id=customer.pk, access=TeamAccess.READ)
    assert err.value.message_dict == {"user": ["Only active staff users can be chosen."]}


def test_team_names_are_unique(teams):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        services.team_create(name="Network")
    assert err.value.message_dict == {"name": ["A team with this name exists."]}


def test_a_new_customer_of_the_account_sees_its_tickets(account, tickets):
    late = crm_services.customer_user_create(account_id=account.pk, email="late@example.com", password="pw-X-12345")
    assert _visible(late) == _subjects(tickets, "network", "billing", "intake")


def test_staff_without_view_ticket_see_none(tickets):
    assert _visible(StaffFactory(roles=["Sales"])) == set()
    assert _visible(StaffFactory()) == set()


def test_dispatchers_read_the_intake(tickets):
    assert _visible(StaffFactory(roles=["Dispatcher"])) == _subjects(tickets, "intake")
