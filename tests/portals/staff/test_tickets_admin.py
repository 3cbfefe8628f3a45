"""The admin of the console's saved views and macros: registered, searchable, and a macro made there runs."""

import pytest

from tests.admin_support import admin_form_data
from tickets import services
from tickets.choices import TicketStatus
from tickets.models import Macro, SavedView

from .tickets_support import *  # noqa: F403 - fixtures


@pytest.fixture
def admin(admin_user, client_as):
    return client_as(admin_user)


@pytest.mark.parametrize("model", [SavedView, Macro])
def test_changelists_render_with_search_and_filters(admin, agent, model):
    services.saved_view_create(owner=agent, name="Mine", query="queue=mine")
    Macro.objects.create(name="Ack", body="Thanks", assign_to_self=True)
    url = f"/admin/tickets/{model._meta.model_name}/"
    response = admin.get(url)
    assert response.status_code == 200
    assert ("Mine" if model is SavedView else "whoever runs it") in response.content.decode()
    assert admin.get(url, {"q": "a"}).status_code == 200


def test_a_macro_made_in_the_admin_runs_on_a_ticket(admin, agent, ours):
    page = admin.get("/admin/tickets/macro/add/")
    data = admin_form_data(page, name="Close politely", body="Closing {{ ticket.number }}.", status="closed")
    response = admin.post("/admin/tickets/macro/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    macro = Macro.objects.get(name="Close politely")
    services.macro_run(macro_id=macro.pk, ticket_id=ours.pk, by=agent)
    ours.refresh_from_db()
    assert ours.status == TicketStatus.CLOSED
    assert ours.comments.get().body == f"Closing {ours.number}."


def test_agents_read_macros_in_the_admin_but_only_admin_edits_them(client_as, agent, dispatcher):
    client = client_as(agent)
    assert client.get("/admin/tickets/macro/").status_code == 200  # their role's view_macro
    assert client.get("/admin/tickets/macro/add/").status_code == 403
    assert client_as(dispatcher).get("/admin/tickets/macro/").status_code == 403
