"""Staff console (localhost): the ticket page — access per role and team, the timeline, htmx replies and notes,
the status, edit and macro forms, and the SLA countdown."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.omni.factories import StaffFactory
from tests.tickets.factories import TicketFactory
from tickets import services
from tickets.choices import ClockState, EscalationKind, SLAMetric, SLAState, TeamAccess, TicketPriority, TicketStatus
from tickets.models import Macro, SLAClock, SLAEvent, TicketComment, TicketStatusChange

from .tickets_support import *  # noqa: F403 - fixtures
from .tickets_support import HX

WRITES = [
    ("reply", {"body": "We are on it", "public": "1"}),
    ("status", {"to": "open"}),
    ("edit", {"priority": "high", "team": "", "assignee": "", "tags": "x"}),
    ("macro", {"macro": "00000000-0000-0000-0000-000000000000"}),
]


def _url(ticket, action=""):
    return f"/tickets/{ticket.pk}/" + (f"{action}/" if action else "")


# ---- access ------------------------------------------------------------------------------------------------


def test_admin_and_team_member_open_the_page(client_as, admin_user, agent, ours, theirs):
    assert client_as(admin_user).get(_url(theirs)).status_code == 200
    response = client_as(agent).get(_url(ours))
    assert response.status_code == 200
    html = response.content.decode()
    assert ours.number in html and ours.subject in html and ours.account.name in html
    assert 'id="ticket-reply"' in html and f'action="/tickets/{ours.pk}/status/"' in html


def test_out_of_scope_ticket_is_404_for_every_url(client_as, agent, theirs):
    client = client_as(agent)
    assert client.get(_url(theirs)).status_code == 404
    for action, data in WRITES:
        assert client.post(_url(theirs, action), data).status_code == 404, action
    assert not TicketComment.objects.filter(ticket=theirs).exists()


def test_unknown_ticket_is_404(client_as, admin_user):
    assert client_as(admin_user).get("/tickets/00000000-0000-0000-0000-000000000000/").status_code == 404


@pytest.mark.parametrize(("action", "data"), WRITES)
def test_read_only_team_access_reads_but_writes_are_403(client_as, agent, billing, theirs, action, data):
    services.team_access_set(team_id=billing.pk, user_id=agent.pk, access=TeamAccess.READ)
    client = client_as(agent)
    page = client.get(_url(theirs))
    assert page.status_code == 200
    assert 'id="read-only"' in page.content.decode() and 'id="ticket-reply"' not in page.content.decode()
    if action == "macro":
        data = {"macro": str(Macro.objects.create(name="Ack", body="Hi").pk)}
    assert client.post(_url(theirs, action), data).status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == TicketStatus.NEW and theirs.priority == TicketPriority.NORMAL
    assert not TicketComment.objects.filter(ticket=theirs).exists()


@pytest.mark.parametrize(("action", "data"), WRITES)
def test_dispatcher_reads_but_cannot_write(client_as, dispatcher, account, action, data):
    intake = TicketFactory(account=account, team=None)
    client = client_as(dispatcher)
    assert client.get(_url(intake)).status_code == 200
    assert client.post(_url(intake, action), data).status_code == 403
    assert not TicketComment.objects.filter(ticket=intake).exists()


def test_staff_without_view_ticket_and_portal_users_get_403(client_as, nobody, customer, reseller, vendor, ours):
    for user in (nobody, customer, reseller, vendor):
        assert client_as(user).get(_url(ours)).status_code == 403, user.email
        assert client_as(user).post(_url(ours, "reply"), {"body": "x", "public": "1"}).status_code == 403
    assert not TicketComment.objects.filter(ticket=ours).exists()


# ---- timeline ------------------------------------------------------------------------------------------------


def _clock(ticket, **fields):
    now = timezone.now()
    defaults = {
        "metric": SLAMetric.RESOLUTION,
        "target_minutes": 120,
        "state": ClockState.RUNNING,
        "started_at": now,
        "due_at": now + datetime.timedelta(hours=2),
    }
    return SLAClock.objects.create(ticket=ticket, **{**defaults, **fields})


def test_timeline_merges_replies_notes_status_changes_and_sla_events_in_time_order(client_as, agent, ours):
    services.comment_add(ticket_id=ours.pk, author=agent, body="Public answer one")
    services.ticket_transition(ticket_id=ours.pk, to=TicketStatus.OPEN, by=agent)
    services.comment_add(ticket_id=ours.pk, author=agent, body="Secret note two", public=False)
    clock = _clock(ours)
    SLAEvent.objects.create(clock=clock, kind=EscalationKind.WARN, level=1, at=timezone.now())

    response = client_as(agent).get(_url(ours))
    kinds = [entry.kind for entry in response.context["timeline"]]
    assert kinds == ["comment", "status", "comment", "sla"]
    html = response.content.decode()
    assert html.index("Public answer one") < html.index("changed the status from New to Open")
    assert html.index("changed the status from New to Open") < html.index("Secret note two")
    assert 'data-entry="note"' in html and "Internal note" in html  # notes are marked apart
    assert 'data-entry="sla"' in html and "Warning, at a share of the target" in html


@pytest.mark.parametrize("entries", [2, 30])
def test_ticket_page_runs_a_fixed_number_of_queries(client_as, agent, ours, entries, django_assert_max_num_queries):
    for i in range(entries):
        services.comment_add(ticket_id=ours.pk, author=agent, body=f"Reply {i}", public=bool(i % 2))
        TicketStatusChange.objects.create(ticket=ours, old="new", new="open", by=agent)
    clock = _clock(ours)
    SLAEvent.objects.create(clock=clock, kind=EscalationKind.BREACH, level=1, at=timezone.now())
    client = client_as(agent)
    with django_assert_max_num_queries(16):
        response = client.get(_url(ours))
    assert len(response.context["timeline"]) == 2 * entries + 1


# ---- replies and notes ---------------------------------------------------------------------------------------


def test_htmx_reply_appends_to_the_timeline_and_empties_the_form(client_as, agent, ours):
    response = client_as(agent).post(_url(ours, "reply"), {"body": "Engineer booked for 10:00", "public": "1"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="ticket-reply"')
    assert 'hx-swap-oob="beforeend:#ticket-timeline"' in html and "Engineer booked for 10:00" in html
    assert 'id="ticket-header"' in html and 'hx-swap-oob="true"' in html
    assert "<textarea" in html and "Engineer booked for 10:00</textarea>" not in html  # emptied
    comment = TicketComment.objects.get(ticket=ours)
    assert comment.public and comment.author == agent
    ours.refresh_from_db()
    assert ours.first_response_at == comment.created_at


def test_htmx_note_is_marked_internal(client_as, agent, ours):
    response = client_as(agent).post(_url(ours, "reply"), {"body": "Customer sounded upset", "public": "0"}, **HX)
    assert response.status_code == 200
    assert 'data-entry="note"' in response.content.decode()
    assert TicketComment.objects.get(ticket=ours).public is False
    ours.refresh_from_db()
    assert ours.first_response_at is None  # a note is no response


def test_blank_reply_is_422_naming_the_body(client_as, agent, ours):
    response = client_as(agent).post(_url(ours, "reply"), {"body": "  ", "public": "1"}, **HX)
    assert response.status_code == 422
    assert 'id="id_body_error"' in response.content.decode()
    assert not TicketComment.objects.exists()


def test_reply_on_a_closed_ticket_is_409_with_the_reason(client_as, agent, account, network):
    closed = TicketFactory(account=account, team=network, status=TicketStatus.CLOSED)
    response = client_as(agent).post(_url(closed, "reply"), {"body": "Hello?", "public": "1"}, **HX)
    assert response.status_code == 409
    assert "open a follow-up ticket" in response.content.decode()
    page = client_as(agent).get(_url(closed)).content.decode()
    assert 'id="ticket-reply"' not in page  # no form on a closed ticket


def test_reply_without_htmx_redirects_to_the_page(client_as, agent, ours):
    response = client_as(agent).post(_url(ours, "reply"), {"body": "Plain post", "public": "1"})
    assert response.status_code == 302 and response["Location"] == _url(ours)
    assert "Plain post" in client_as(agent).get(_url(ours)).content.decode()


# ---- status, edit ----------------------------------------------------------------------------------------------


def test_status_change_and_resolution_note(client_as, agent, ours):
    client = client_as(agent)
    response = client.post(_url(ours, "status"), {"to": "resolved", "resolution": ""})
    assert response.status_code == 400
    assert "Resolving needs a resolution note." in response.content.decode()
    response = client.post(_url(ours, "status"), {"to": "resolved", "resolution": "Replaced the ONT"})
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.status == TicketStatus.RESOLVED and ours.resolution == "Replaced the ONT"
    assert TicketStatusChange.objects.filter(ticket=ours, new="resolved").count() == 1


def test_invalid_transition_is_409_shown_on_the_page(client_as, agent, account, network):
    closed = TicketFactory(account=account, team=network, status=TicketStatus.CLOSED)
    response = client_as(agent).post(_url(closed, "status"), {"to": "open"})
    assert response.status_code == 409
    assert "A Closed ticket cannot become Open." in response.content.decode()
    closed.refresh_from_db()
    assert closed.status == TicketStatus.CLOSED


def test_edit_priority_team_assignee_and_tags(client_as, agent, ours, billing):
    response = client_as(agent).post(
        _url(ours, "edit"),
        {"priority": "urgent", "team": str(billing.pk), "assignee": str(agent.pk), "tags": "VIP, fibre"},
    )
    assert response.status_code == 302
    ours.refresh_from_db()
    assert (ours.priority, ours.team_id, ours.assignee_id, ours.tags) == (
        "urgent",
        billing.pk,
        agent.pk,
        ["vip", "fibre"],
    )


def test_edit_with_a_bad_priority_is_400_naming_it(client_as, agent, ours):
    response = client_as(agent).post(_url(ours, "edit"), {"priority": "whenever", "tags": ""})
    assert response.status_code == 400
    assert 'id="id_priority_error"' in response.content.decode()


# ---- macros --------------------------------------------------------------------------------------------------


def test_macro_replies_sets_status_assignment_and_tags_in_one_click(client_as, agent, ours):
    macro = Macro.objects.create(
        name="Waiting on customer",
        body="Hello, {{ ticket.number }}: please power-cycle the router. {{ agent.name }}",
        public=True,
        status=TicketStatus.PENDING_CUSTOMER,
        priority=TicketPriority.HIGH,
        assign_to_self=True,
        tags=["awaiting-reboot"],
    )
    page = client_as(agent).get(_url(ours)).content.decode()
    assert f'<option value="{macro.pk}">Waiting on customer</option>' in page
    response = client_as(agent).post(_url(ours, "macro"), {"macro": str(macro.pk)})
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.status == TicketStatus.PENDING_CUSTOMER
    assert (ours.priority, ours.assignee_id, ours.tags) == ("high", agent.pk, ["awaiting-reboot"])
    comment = TicketComment.objects.get(ticket=ours)
    assert comment.public and comment.body.startswith(f"Hello, {ours.number}: please power-cycle")
    assert agent.get_full_name() in comment.body


def test_a_refused_macro_changes_nothing_and_shows_409(client_as, agent, account, network):
    resolved = TicketFactory(account=account, team=network, status=TicketStatus.RESOLVED)
    macro = Macro.objects.create(
        name="Put on hold", body="On hold", public=False, status=TicketStatus.ON_HOLD, priority=TicketPriority.LOW
    )
    response = client_as(agent).post(_url(resolved, "macro"), {"macro": str(macro.pk)})
    assert response.status_code == 409
    assert 'id="macro-error"' in response.content.decode()
    resolved.refresh_from_db()
    assert resolved.priority == TicketPriority.NORMAL and resolved.status == TicketStatus.RESOLVED
    assert not TicketComment.objects.filter(ticket=resolved).exists()  # the note was rolled back too


def test_inactive_macro_is_400(client_as, agent, ours):
    macro = Macro.objects.create(name="Old", body="x", active=False)
    response = client_as(agent).post(_url(ours, "macro"), {"macro": str(macro.pk)})
    assert response.status_code == 400
    assert "does not exist or is inactive" in response.content.decode()


# ---- SLA countdown -------------------------------------------------------------------------------------------


def test_countdown_carries_the_due_times_and_breached_is_red(client_as, agent, ours):
    due = timezone.now() + datetime.timedelta(minutes=90)
    ours.first_response_due, ours.resolution_due, ours.sla_state = due, due, SLAState.RUNNING
    ours.save()
    html = client_as(agent).get(_url(ours)).content.decode()
    assert html.count(f'data-sla-due="{due.isoformat()}"') == 2
    assert 'data-sla-state="running"' in html and "/static/js/sla-countdown.js" in html
    ours.sla_state = SLAState.BREACHED
    ours.resolution_due = timezone.now() - datetime.timedelta(minutes=5)
    ours.save()
    html = client_as(agent).get(_url(ours)).content.decode()
    assert 'data-sla-state="breached"' in html
    assert "font-semibold text-red-700" in html and "overdue" in html


# ---- files and mentions (tickets.services.reply_post) ----------------------------------------------------------


def test_reply_with_a_file_and_a_mention(client_as, agent, ours, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    colleague = StaffFactory(email="ada@example.com", full_name="Ada Obi", roles=["Agent"])
    upload = SimpleUploadedFile("trace.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = client_as(agent).post(
        _url(ours, "reply"),
        {"body": "Trace attached", "public": "0", "files": [upload], "mentions": [str(colleague.pk)]},
        **HX,
    )
    assert response.status_code == 200
    comment = TicketComment.objects.get(ticket=ours)
    [attachment] = comment.attachments.all()
    assert (attachment.name, attachment.public) == ("trace.pdf", False)
    assert list(comment.mentions.all()) == [colleague]
    html = response.content.decode()
    assert f'href="/attachments/{attachment.pk}/"' in html and "Mentioned: Ada Obi" in html
    download = client_as(agent).get(f"/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 test"


def test_a_refused_file_is_422_and_posts_nothing(client_as, agent, ours, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("setup.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = client_as(agent).post(_url(ours, "reply"), {"body": "See file", "public": "1", "files": [upload]}, **HX)
    assert response.status_code == 422
    assert "files: setup.exe: .exe files are not accepted" in response.content.decode()
    assert not TicketComment.objects.filter(ticket=ours).exists()


def test_no_countdown_once_answered_and_resolved(client_as, agent, ours):
    due = timezone.now() - datetime.timedelta(minutes=30)
    ours.first_response_due = ours.resolution_due = due  # met clocks keep their due times
    ours.first_response_at = timezone.now() - datetime.timedelta(hours=1)
    ours.status, ours.sla_state = TicketStatus.RESOLVED, SLAState.MET
    ours.save()
    html = client_as(agent).get(_url(ours)).content.decode()
    assert "data-sla-due=" not in html
    assert 'data-sla-state="met"' in html and "(Met)" in html
