"""Who may do what through the inbox's API: every operation, with each persona's token, answers exactly. Agents and
Sales work conversations (read, start, change, merge, read and write the thread) and read channels, teams and
labels; they add and change canned replies; Admin writes everything (channels, teams, labels, deleting canned
replies). Dispatchers, Technicians, a staff user without a role and one whose staff access is
off get 403; so do customer, reseller and vendor users (the inbox is staff's only). Every write is rolled back
before the next persona; a refused one changes nothing.

tests/test_api_access.py counts these operations as tabled (OPERATIONS)."""

import re

from django.db import transaction

from crm.choices import ChannelKind
from crm.models import CannedReply, Channel, Contact, Conversation, InboxTeam, Label, Message
from tests.omni.api_contract import assert_error
from tests.omni.factories import StaffFactory

from .api_support import API, receive
from .factories import CannedReplyFactory, ChannelFactory, InboxTeamFactory, LabelFactory

STAFF = {
    "admin": ["Admin"],
    "agent": ["Agent"],
    "sales": ["Sales"],
    "dispatcher": ["Dispatcher"],
    "technician": ["Technician"],  # like Inventory managers (not repeated): no inbox permission
    "norole": [],
}
PERSONAS = [*STAFF, "unstaffed", "customer", "reseller", "vendor"]
WORKERS = {"admin", "agent", "sales"}  # the inbox's permissions (crm/apps.py _INBOX); Admin holds them all
MODELS = [Channel, Conversation, Message, InboxTeam, Label, CannedReply, Contact]


def answers(ok: int, allowed: set[str]) -> dict:
    return {p: ok if p in allowed else 403 for p in PERSONAS}


def _world(customer, reseller, vendor, api_as) -> tuple[dict, list]:
    sms = ChannelFactory(kind=ChannelKind.SMS, name="SMS")
    unused = ChannelFactory(kind=ChannelKind.WEBCHAT, name="Unused chat")
    email = ChannelFactory(kind=ChannelKind.EMAIL, name="Email", address="help@example.com")
    a = receive(sms, thread="+2348030000001", external_id="a", phone="+2348030000001").conversation
    b = receive(email, thread="<b@x>", external_id="<b@x>", phone="+2348030000001").conversation
    assert a.contact_id == b.contact_id
    team, label, reply = InboxTeamFactory(), LabelFactory(), CannedReplyFactory()
    users = {name: StaffFactory(roles=roles) for name, roles in STAFF.items()}
    users |= {"unstaffed": StaffFactory(roles=["Admin"], is_staff=False), "customer": customer}
    users |= {"reseller": reseller, "vendor": vendor}
    clients = {name: api_as(user) for name, user in users.items()}
    admin = {"admin"}
    start = {"channel": str(sms.pk), "name": "Ngozi Okafor", "phone": "+2348031112222", "message": "Hello"}
    rows = [
        # channels (Admin configures them; the inbox's workers read them, never the secrets)
        ("GET", f"{API}channels/", None, answers(200, WORKERS)),
        ("GET", f"{API}channels/{unused.pk}/", None, answers(200, WORKERS)),
        ("POST", f"{API}channels/", {"kind": "webchat", "name": "Website"}, answers(201, admin)),
        ("PUT", f"{API}channels/{unused.pk}/", {"kind": "webchat", "name": "Renamed"}, answers(200, admin)),
        ("PATCH", f"{API}channels/{unused.pk}/", {"active": False}, answers(200, admin)),
        ("DELETE", f"{API}channels/{unused.pk}/", None, answers(204, admin)),
        ("POST", f"{API}channels/{email.pk}/rotate-secret/", None, answers(200, admin)),
        # conversations and their threads
        ("GET", f"{API}conversations/", None, answers(200, WORKERS)),
        ("GET", f"{API}conversations/{a.pk}/", None, answers(200, WORKERS)),
        ("POST", f"{API}conversations/", start, answers(201, WORKERS)),
        ("PATCH", f"{API}conversations/{a.pk}/", {"priority": "high"}, answers(200, WORKERS)),
        ("POST", f"{API}conversations/{a.pk}/merge/", {"target": str(b.pk)}, answers(200, WORKERS)),
        ("GET", f"{API}conversations/{a.pk}/messages/", None, answers(200, WORKERS)),
        ("POST", f"{API}conversations/{a.pk}/messages/", {"kind": "note", "body": "Hi"}, answers(201, WORKERS)),
        # canned replies (the workers add and change them; Admin deletes)
        ("GET", f"{API}canned-replies/", None, answers(200, WORKERS)),
        ("GET", f"{API}canned-replies/{reply.pk}/", None, answers(200, WORKERS)),
        ("POST", f"{API}canned-replies/", {"shortcode": "hi", "body": "Hi"}, answers(201, WORKERS)),
        ("PUT", f"{API}canned-replies/{reply.pk}/", {"shortcode": "hey", "body": "Hey"}, answers(200, WORKERS)),
        ("PATCH", f"{API}canned-replies/{reply.pk}/", {"title": "Greeting"}, answers(200, WORKERS)),
        ("DELETE", f"{API}canned-replies/{reply.pk}/", None, answers(204, admin)),
        # labels and inbox teams (read by the workers, written by Admin)
        ("GET", f"{API}labels/", None, answers(200, WORKERS)),
        ("GET", f"{API}labels/{label.pk}/", None, answers(200, WORKERS)),
        ("POST", f"{API}labels/", {"name": "outage"}, answers(201, admin)),
        ("PUT", f"{API}labels/{label.pk}/", {"name": "billing", "colour": "#112233"}, answers(200, admin)),
        ("PATCH", f"{API}labels/{label.pk}/", {"description": "Money"}, answers(200, admin)),
        ("DELETE", f"{API}labels/{label.pk}/", None, answers(204, admin)),
        ("GET", f"{API}inbox-teams/", None, answers(200, WORKERS)),
        ("GET", f"{API}inbox-teams/{team.pk}/", None, answers(200, WORKERS)),
        ("POST", f"{API}inbox-teams/", {"name": "NOC"}, answers(201, admin)),
        ("PUT", f"{API}inbox-teams/{team.pk}/", {"name": "Support", "auto_assign": False}, answers(200, admin)),
        ("PATCH", f"{API}inbox-teams/{team.pk}/", {"active": False}, answers(200, admin)),
        ("DELETE", f"{API}inbox-teams/{team.pk}/", None, answers(204, admin)),
    ]
    return clients, rows


def _snapshot() -> list:
    return [list(model.objects.order_by("pk").values_list()) for model in MODELS]


def test_each_persona_gets_the_exact_answer(api_as, customer, reseller, vendor):
    clients, rows = _world(customer, reseller, vendor, api_as)
    before = _snapshot()
    wrong = []
    for method, url, body, expected in rows:
        got = {}
        for persona in PERSONAS:
            with transaction.atomic():  # each persona meets the same world: every write is rolled back
                call = getattr(clients[persona], method.lower())
                response = call(url, body) if body is not None else call(url)
                got[persona] = response.status_code
                if response.status_code >= 400:
                    assert_error(response, response.status_code)
                    if method != "GET":
                        assert _snapshot() == before, (persona, method, url, "a refused write changed rows")
                transaction.set_rollback(True)
        if got != expected:
            wrong.append((method, url, {p: (got[p], expected[p]) for p in PERSONAS if got[p] != expected[p]}))
    assert wrong == []


def test_refusals_say_why(api_as, customer):
    agent, dispatcher = api_as(StaffFactory(roles=["Agent"])), api_as(StaffFactory(roles=["Dispatcher"]))
    channel, reply = ChannelFactory(), CannedReplyFactory()
    cases = [
        (agent, "post", f"{API}channels/", "Your role may not add channels."),
        (agent, "delete", f"{API}canned-replies/{reply.pk}/", "Your role may not delete canned replies."),
        (api_as(customer), "get", f"{API}conversations/", "Customer users may not use this resource."),
        (dispatcher, "get", f"{API}channels/{channel.pk}/", "Your role may not view channels."),
    ]
    for client, method, url, detail in cases:
        response = getattr(client, method)(url, {}) if method == "post" else getattr(client, method)(url)
        assert assert_error(response, 403, code="permission_denied")["detail"] == detail


# The operations this table answers for (tests/test_api_access.py counts them as tabled).
OPERATIONS = frozenset(
    {
        ("GET", "/api/v1/crm/channels/"),
        ("POST", "/api/v1/crm/channels/"),
        ("GET", "/api/v1/crm/channels/{id}/"),
        ("PUT", "/api/v1/crm/channels/{id}/"),
        ("PATCH", "/api/v1/crm/channels/{id}/"),
        ("DELETE", "/api/v1/crm/channels/{id}/"),
        ("POST", "/api/v1/crm/channels/{id}/rotate-secret/"),
        ("GET", "/api/v1/crm/conversations/"),
        ("POST", "/api/v1/crm/conversations/"),
        ("GET", "/api/v1/crm/conversations/{id}/"),
        ("PATCH", "/api/v1/crm/conversations/{id}/"),
        ("POST", "/api/v1/crm/conversations/{id}/merge/"),
        ("GET", "/api/v1/crm/conversations/{id}/messages/"),
        ("POST", "/api/v1/crm/conversations/{id}/messages/"),
        ("GET", "/api/v1/crm/canned-replies/"),
        ("POST", "/api/v1/crm/canned-replies/"),
        ("GET", "/api/v1/crm/canned-replies/{id}/"),
        ("PUT", "/api/v1/crm/canned-replies/{id}/"),
        ("PATCH", "/api/v1/crm/canned-replies/{id}/"),
        ("DELETE", "/api/v1/crm/canned-replies/{id}/"),
        ("GET", "/api/v1/crm/labels/"),
        ("POST", "/api/v1/crm/labels/"),
        ("GET", "/api/v1/crm/labels/{id}/"),
        ("PUT", "/api/v1/crm/labels/{id}/"),
        ("PATCH", "/api/v1/crm/labels/{id}/"),
        ("DELETE", "/api/v1/crm/labels/{id}/"),
        ("GET", "/api/v1/crm/inbox-teams/"),
        ("POST", "/api/v1/crm/inbox-teams/"),
        ("GET", "/api/v1/crm/inbox-teams/{id}/"),
        ("PUT", "/api/v1/crm/inbox-teams/{id}/"),
        ("PATCH", "/api/v1/crm/inbox-teams/{id}/"),
        ("DELETE", "/api/v1/crm/inbox-teams/{id}/"),
    }
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_the_rows_cover_exactly_the_operations(api_as, customer, reseller, vendor):
    _clients, rows = _world(customer, reseller, vendor, api_as)
    assert {(method, UUID.sub("{id}", url.split("?")[0])) for method, url, _body, _expected in rows} == OPERATIONS
