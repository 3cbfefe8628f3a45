"""Staff console (localhost): ticket queues with counts, the list's filters, sort, full-text search, htmx partials,
and a fixed number of queries whatever the number of tickets."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from tests.crm.factories import AccountFactory
from tests.omni.factories import StaffFactory
from tests.tickets.factories import TicketFactory
from tickets import selectors, services
from tickets.choices import SLAState, TeamAccess, TicketPriority, TicketStatus
from tickets.models import Ticket

from .tickets_support import *  # noqa: F403 - fixtures
from .tickets_support import HX

PAGES = ["/tickets/", "/tickets/dashboard/", "/tickets/sla-report/"]


def _numbers(response) -> set[str]:
    return {row.number for row in response.context["page"].object_list}


# ---- access ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_staff_with_view_ticket_open_the_pages(client_as, admin_user, agent, dispatcher, path):
    for user in (admin_user, agent, dispatcher):
        response = client_as(user).get(path)
        assert response.status_code == 200, user.email
        assert 'href="/tickets/"' in response.content.decode()  # Tickets in the menu


@pytest.mark.parametrize("path", PAGES)
def test_staff_without_view_ticket_get_403_and_no_menu_entry(client_as, nobody, path):
    client = client_as(nobody)
    assert client.get(path).status_code == 403
    assert 'href="/tickets/"' not in client.get("/").content.decode()


@pytest.mark.parametrize("path", PAGES)
def test_portal_users_on_the_staff_host_get_403(client_as, customer, reseller, vendor, path):
    for user in (customer, reseller, vendor):
        assert client_as(user).get(path).status_code == 403, user.email


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("Admin", 200),
        ("Agent", 200),
        ("Dispatcher", 200),
        ("Technician", 403),
        ("Inventory manager", 403),
        ("Sales", 403),
    ],
)
def test_each_staff_role(client_as, role, status):
    user = StaffFactory(email=f"{role.replace(' ', '.').lower()}@example.com", roles=[role])
    for path in PAGES:
        assert client_as(user).get(path).status_code == status, path


def test_anonymous_is_sent_to_login(client):
    response = client.get("/tickets/", HTTP_HOST="localhost")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/tickets/")


def test_agent_lists_their_teams_and_intake_admin_everything(client_as, agent, admin_user, account, ours, theirs):
    intake = TicketFactory(account=account, team=None)
    assert _numbers(client_as(agent).get("/tickets/")) == {ours.number, intake.number}
    assert _numbers(client_as(admin_user).get("/tickets/")) == {ours.number, theirs.number, intake.number}


def test_read_access_on_a_team_lists_its_tickets_but_offers_no_bulk_form(client_as, agent, billing, ours, theirs):
    services.team_access_set(team_id=billing.pk, user_id=agent.pk, access=TeamAccess.READ)
    assert _numbers(client_as(agent).get("/tickets/")) == {ours.number, theirs.number}


def test_dispatcher_sees_no_bulk_form(client_as, dispatcher, account, ours):
    intake = TicketFactory(account=account, team=None)
    html = client_as(dispatcher).get("/tickets/").content.decode()
    assert intake.number in html and ours.number not in html  # not a member of Network
    assert 'id="ticket-bulk"' not in html and 'name="tickets"' not in html


# ---- queues --------------------------------------------------------------------------------------------------


@pytest.fixture
def queue_tickets(agent, account, network, billing):
    now = timezone.now()
    other = StaffFactory(email="other.agent@example.com", roles=["Agent"])
    return {
        "mine": TicketFactory(account=account, team=network, assignee=agent, status=TicketStatus.OPEN),
        "mine_done": TicketFactory(account=account, team=network, assignee=agent, status=TicketStatus.RESOLVED),
        "team_other": TicketFactory(account=account, team=network, assignee=other, status=TicketStatus.OPEN),
        "intake": TicketFactory(account=account, team=None),
        "soon": TicketFactory(
            account=account,
            team=None,
            assignee=other,
            sla_state=SLAState.WARNING,
            resolution_due=now + datetime.timedelta(minutes=30),
        ),
        "answered": TicketFactory(
            account=account,
            team=None,
            assignee=other,
            sla_state=SLAState.RUNNING,
            first_response_due=now + datetime.timedelta(minutes=10),
            first_response_at=now - datetime.timedelta(minutes=5),
            resolution_due=now + datetime.timedelta(hours=8),
        ),
        "later": TicketFactory(
            account=account,
            team=None,
            assignee=other,
            sla_state=SLAState.RUNNING,
            first_response_due=now + datetime.timedelta(hours=5),
        ),
        "breached": TicketFactory(
            account=account, team=network, assignee=other, sla_state=SLAState.BREACHED, status=TicketStatus.OPEN
        ),
        "hidden": TicketFactory(account=account, team=billing, sla_state=SLAState.BREACHED),  # not the agent's
    }


def test_queue_counts_and_queue_rows(client_as, agent, queue_tickets):
    t = queue_tickets
    expected = {
        "mine": {t["mine"]},
        "unassigned": {t["intake"]},
        "teams": {t["mine"], t["team_other"], t["breached"]},
        "breaching": {t["soon"]},
        "breached": {t["breached"]},
        "all": {ticket for name, ticket in t.items() if name != "hidden"},
    }
    counts = selectors.ticket_queue_counts(user=agent)
    assert counts == {key: len(tickets) for key, tickets in expected.items()}
    client = client_as(agent)
    for queue, tickets in expected.items():
        response = client.get("/tickets/", {"queue": queue})
        assert _numbers(response) == {ticket.number for ticket in tickets}, queue
        assert {key: n for key, _label, n in response.context["queues"]} == counts
    html = client.get("/tickets/", {"queue": "breached"}).content.decode()
    assert 'aria-current="page" data-queue="breached"' in html


def test_queue_counts_are_one_query(agent, queue_tickets, django_assert_num_queries):
    agent.has_perm("tickets.view_ticket")  # the permission cache, as in a request after the view's check
    with django_assert_num_queries(1):
        counts = selectors.ticket_queue_counts(user=agent)
    assert counts["all"] == 8


def _bulk_tickets(account, team, rows: int) -> None:
    Ticket.objects.bulk_create(
        [
            TicketFactory.build(
                account=account,
                team=team,
                priority=TicketPriority.values[i % 4],
                tags=["fiber", f"t{i}"],
                sla_state=SLAState.RUNNING,
                resolution_due=timezone.now() + datetime.timedelta(hours=i % 48),
            )
            for i in range(rows)
        ]
    )


@pytest.mark.parametrize("rows", [10, 500])
def test_list_and_queue_counts_run_a_fixed_number_of_queries(
    client_as, agent, account, network, rows, django_assert_max_num_queries
):
    _bulk_tickets(account, network, rows)
    client = client_as(agent)
    # session, user, its permissions (two), the queue counts (one grouped query), saved views, count, page,
    # the staff and team choices
    with django_assert_max_num_queries(10):
        response = client.get("/tickets/", {"queue": "teams", "sort": "priority", "tag": "fiber"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(rows, 25)
    assert {k: n for k, _l, n in response.context["queues"]}["teams"] == rows
    with django_assert_max_num_queries(10):
        response = client.get("/tickets/", {"q": "internet", "sort": "due"}, **HX)
    assert response.status_code == 200 and response.context["page"].paginator.count == rows


# ---- filters, sort, search, partials -------------------------------------------------------------------------


def test_filters(client_as, agent, admin_user, network, billing):
    account_a, account_b = AccountFactory(), AccountFactory()
    a = TicketFactory(
        account=account_a,
        team=network,
        assignee=agent,
        status=TicketStatus.OPEN,
        priority=TicketPriority.URGENT,
        tags=["vip"],
        sla_state=SLAState.BREACHED,
    )
    b = TicketFactory(account=account_b, team=billing, priority=TicketPriority.LOW)
    client = client_as(admin_user)

    def found(params) -> set:
        response = client.get("/tickets/", params)
        assert response.status_code == 200, response.content.decode()[:500]
        return _numbers(response)

    assert found({"status": "open"}) == {a.number}
    assert found({"status": ["open", "new"]}) == {a.number, b.number}
    assert found({"priority": "low"}) == {b.number}
    assert found({"team": str(billing.pk)}) == {b.number}
    assert found({"assignee": str(agent.pk)}) == {a.number}
    assert found({"account": str(account_a.pk)}) == {a.number}
    assert found({"tag": "VIP"}) == {a.number}
    assert found({"sla_state": "breached"}) == {a.number}
    assert found({"q": a.subject.split()[-1]}) == {a.number}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "bogus"}, "status"), ({"team": "not-a-uuid"}, "team"), ({"sort": "colour"}, "sort")],
)
def test_bad_filters_are_400_naming_the_field(client_as, agent, ours, params, field):
    response = client_as(agent).get("/tickets/", params)
    assert response.status_code == 400
    assert f"<li>{field}: " in response.content.decode()
    assert client_as(agent).get("/tickets/", params, **HX).status_code == 422


def test_sort_by_priority_and_number(client_as, admin_user, account):
    low = TicketFactory(account=account, priority=TicketPriority.LOW)
    urgent = TicketFactory(account=account, priority=TicketPriority.URGENT)
    normal = TicketFactory(account=account, priority=TicketPriority.NORMAL)
    client = client_as(admin_user)
    rows = client.get("/tickets/", {"sort": "-priority"}).context["page"].object_list
    assert [row.pk for row in rows] == [urgent.pk, normal.pk, low.pk]
    rows = client.get("/tickets/", {"sort": "number"}).context["page"].object_list
    assert [row.pk for row in rows] == [low.pk, urgent.pk, normal.pk]


def test_search_ranks_subject_hits_first_and_searches_notes(client_as, agent, account, network):
    in_description = services.ticket_create(
        account_id=account.pk, subject="Slow pages", description="The fibre link drops at night", team_id=network.pk
    )
    in_subject = services.ticket_create(
        account_id=account.pk, subject="Fibre link down", description="Nothing works", team_id=network.pk
    )
    noted = services.ticket_create(account_id=account.pk, subject="Billing question", team_id=network.pk)
    services.comment_add(ticket_id=noted.pk, author=agent, body="Customer's splice tray replaced", public=False)
    client = client_as(agent)

    response = client.get("/tickets/", {"q": "fibre link"})
    rows = list(response.context["page"].object_list)
    assert [row.number for row in rows] == [in_subject.number, in_description.number]
    assert rows[0].rank > rows[1].rank
    assert response.context["sort"] == "rank"
    # websearch syntax: a phrase, and -word
    assert _numbers(client.get("/tickets/", {"q": '"link drops"'})) == {in_description.number}
    assert _numbers(client.get("/tickets/", {"q": "fibre -night"})) == {in_subject.number}
    # internal notes are searched for staff
    assert _numbers(client.get("/tickets/", {"q": "splice tray"})) == {noted.number}


def test_search_never_finds_an_out_of_scope_teams_ticket(client_as, agent, account, network, billing):
    services.ticket_create(account_id=account.pk, subject="Fibre cut on Admiralty Way", team_id=billing.pk)
    visible = services.ticket_create(account_id=account.pk, subject="Fibre cut in Yaba", team_id=network.pk)
    response = client_as(agent).get("/tickets/", {"q": "fibre cut", "queue": "all"})
    assert _numbers(response) == {visible.number}
    assert "Admiralty" not in response.content.decode()


def test_htmx_gets_the_table_or_the_console(client_as, agent, ours):
    client = client_as(agent)
    table = client.get("/tickets/", {"status": "new"}, **HX)
    html = table.content.decode()
    assert table.status_code == 200
    assert html.lstrip().startswith('<section id="ticket-table"') and "<html" not in html
    assert ours.number in html
    console = client.get("/tickets/", {"queue": "mine"}, HTTP_HX_TARGET="ticket-console", **HX)
    html = console.content.decode()
    assert html.lstrip().startswith('<div id="ticket-console"') and 'id="ticket-queues"' in html
    assert table["Vary"] and "HX-Request" in table["Vary"]


def test_staff_losing_view_ticket_lose_the_list(client_as, agent, ours):
    agent.groups.clear()
    agent.user_permissions.add(Permission.objects.get(codename="view_account"))
    assert client_as(agent).get("/tickets/").status_code == 403
