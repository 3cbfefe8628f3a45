"""The inbox's API as an outside client uses it: channels with write-only credentials (checked per kind, generated
secrets shown once), conversations (filters, starting one in one call, status/assignee/team/priority/labels,
merging), their threads (replies and private notes), canned replies, labels and inbox teams; lists with a query
count that does not grow with the rows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.choices import ChannelKind, ConversationStatus, MessageKind
from crm.models import Channel, Contact, Conversation, InboxTeam, Label, Message
from notifications.models import OutboxEvent
from tests.omni.api_contract import assert_error

from .api_support import API, receive
from .factories import CannedReplyFactory, ChannelFactory, InboxTeamFactory, LabelFactory

pytestmark = pytest.mark.django_db

SMS = {
    "kind": "sms",
    "name": "Support SMS",
    "account_sid": "AC0123456789abcdef",
    "auth_token": "tok-secret-123456",
    "from_number": "+2348030001111",
    "api_base_url": "http://127.0.0.1:9/twilio",
}


@pytest.fixture
def admin_api(api_as, admin_user):
    return api_as(admin_user)


@pytest.fixture
def agent_api(api_as, agent):
    return api_as(agent)


# ---- channels ---------------------------------------------------------------------------------------------------


def test_an_sms_channel_keeps_its_credentials_encrypted_and_never_shows_them(admin_api, agent_api):
    response = admin_api.post(f"{API}channels/", SMS)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"] == "" and body["address"] == "+2348030001111"
    assert body["credentials"] == {
        "account_sid": "…cdef",
        "auth_token": "…3456",
        "from_number": "…1111",
        "api_base_url": "…ilio",
    }
    channel = Channel.objects.get(pk=body["id"])
    assert channel.credential("auth_token") == "tok-secret-123456"
    assert "tok-secret" not in channel.credentials_encrypted
    for client in (admin_api, agent_api):
        shown = client.get(f"{API}channels/{channel.pk}/")
        assert shown.status_code == 200
        assert b"tok-secret-123456" not in shown.content and b"AC0123456789abcdef" not in shown.content
        assert "secret" not in shown.json()
    # A change merges: the token alone is replaced, the rest kept.
    changed = admin_api.patch(f"{API}channels/{channel.pk}/", {"auth_token": "new-token-999999", "name": "SMS 2"})
    assert changed.status_code == 200, changed.content
    channel.refresh_from_db()
    assert channel.credential("auth_token") == "new-token-999999" and channel.credential("account_sid") == SMS[
        "account_sid"]  # fmt: skip
    assert channel.name == "SMS 2"
    assert_error(admin_api.patch(f"{API}channels/{channel.pk}/", {"kind": "email"}), 400, field="kind")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"from_number": "0803 000 1111"}, "from_number"),
        ({"api_base_url": "ftp://example.com"}, "api_base_url"),
        ({"auth_token": ""}, "auth_token"),
        ({"phone_number_id": "123"}, "phone_number_id"),  # not an SMS setting
        ({"kind": "fax"}, "kind"),
        ({"config": {"colour": "#123456"}}, "colour"),  # web chat only
    ],
)
def test_bad_channel_input_is_a_400_naming_the_field(admin_api, change, field):
    assert_error(admin_api.post(f"{API}channels/", SMS | change), 400, field=field)
    assert not Channel.objects.exists()


def test_email_and_webchat_secrets_are_shown_once_and_rotated(admin_api):
    response = admin_api.post(f"{API}channels/", {"kind": "email", "name": "Support", "address": "Help@Example.com"})
    assert response.status_code == 201, response.content
    body = response.json()
    channel = Channel.objects.get(pk=body["id"])
    assert body["secret"] and channel.credential("inbound_secret") == body["secret"]
    assert body["address"] == "help@example.com"
    again = admin_api.get(f"{API}channels/{channel.pk}/").json()
    assert body["secret"] not in str(again) and again["credentials"]["inbound_secret"].startswith("…")
    rotated = admin_api.post(f"{API}channels/{channel.pk}/rotate-secret/")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    channel.refresh_from_db()
    assert new != body["secret"] and channel.credential("inbound_secret") == new
    assert_error(admin_api.post(f"{API}channels/", {"kind": "email", "name": "No address"}), 400, field="address")

    hours = {"time_zone": "Africa/Lagos", "days": {"mon": [["08:00", "17:00"]], "sat": [["09:00", "13:00"]]}}
    chat = {
        "kind": "webchat",
        "name": "Website",
        "address": "www.example.com",
        "config": {"colour": "#0F766E", "greeting": "Hi!", "business_hours": hours, "prechat": {"name": "optional",
                   "email": "required", "phone": "off"}},
    }  # fmt: skip
    response = admin_api.post(f"{API}channels/", chat)
    assert response.status_code == 201, response.content
    config = response.json()["config"]
    assert config["colour"] == "#0f766e" and config["business_hours"] == hours
    assert config["prechat"] == {"name": "optional", "email": "required", "phone": "off"}
    bad = chat | {"name": "Other", "config": {"prechat": {"email": "maybe"}}}
    assert_error(admin_api.post(f"{API}channels/", bad), 400, field="config")  # config.prechat.email
    assert response.json()["secret"] == Channel.objects.get(name="Website").credential("identity_secret")
    sms = admin_api.post(f"{API}channels/", SMS).json()
    assert_error(admin_api.post(f"{API}channels/{sms['id']}/rotate-secret/"), 409)


@pytest.mark.parametrize(
    "hours",
    [
        {"days": {"mon": [["17:00", "08:00"]]}},
        {"days": {"funday": [["08:00", "17:00"]]}},
        {"days": {"mon": [["8am", "5pm"]]}},
        {"time_zone": "Mars/Olympus", "days": {}},
        {"days": {"mon": [["08:00", "17:00"]]}, "holidays": ["Christmas"]},
        ["08:00", "17:00"],
    ],
)
def test_bad_business_hours_are_a_400(admin_api, hours):
    body = {"kind": "webchat", "name": "Site", "config": {"business_hours": hours}}
    assert_error(admin_api.post(f"{API}channels/", body), 400, field="business_hours")


def test_a_channel_with_conversations_is_switched_off_not_deleted(admin_api):
    used, unused = ChannelFactory(kind=ChannelKind.SMS), ChannelFactory()
    receive(used, thread="+2348030000001", external_id="m1", phone="+2348030000001")
    assert_error(admin_api.delete(f"{API}channels/{used.pk}/"), 409, field="active")
    assert admin_api.patch(f"{API}channels/{used.pk}/", {"active": False}).json()["active"] is False
    assert admin_api.delete(f"{API}channels/{unused.pk}/").status_code == 204
    assert list(Channel.objects.all()) == [used]


# ---- conversations ----------------------------------------------------------------------------------------------


def test_conversation_filters(agent_api, agent, sales):
    sms, chat = ChannelFactory(kind=ChannelKind.SMS), ChannelFactory(kind=ChannelKind.WEBCHAT)
    team = InboxTeamFactory()
    billing = LabelFactory(name="billing")
    a = receive(sms, thread="+2348030000001", external_id="a", phone="+2348030000001", name="Ada Obi").conversation
    b = receive(chat, thread="v-1", external_id="b", email="bola@example.com", name="Bola Ade").conversation
    c = receive(chat, thread="v-2", external_id="c", email="chi@example.com", name="Chi Eze").conversation
    from crm import services

    services.conversation_assign(conversation_id=a.pk, assignee=agent, team_id=team.pk)
    services.conversation_assign(conversation_id=b.pk, assignee=sales)
    services.conversation_labels_set(conversation_id=c.pk, labels=[billing])
    services.conversation_status_set(conversation_id=c.pk, status=ConversationStatus.RESOLVED)

    def numbers(**query):
        response = agent_api.get(f"{API}conversations/", query)
        assert response.status_code == 200, response.content
        return sorted(row["number"] for row in response.json()["results"])

    assert numbers() == sorted([a.number, b.number, c.number])
    assert numbers(assignee="me") == [a.number]
    assert numbers(assignee=str(sales.pk)) == [b.number]
    assert numbers(assignee="none") == [c.number]
    assert numbers(team=str(team.pk)) == [a.number]
    assert numbers(channel_kind="webchat") == sorted([b.number, c.number])
    assert numbers(channel=str(sms.pk)) == [a.number]
    assert numbers(status="resolved") == [c.number]
    assert numbers(status=["open", "resolved"]) == sorted([a.number, b.number, c.number])
    assert numbers(label="Billing") == [c.number]
    assert numbers(q="bola") == [b.number]
    assert numbers(contact=str(a.contact_id)) == [a.number]
    row = agent_api.get(f"{API}conversations/", {"label": "billing"}).json()["results"][0]
    assert row["labels"] == ["billing"] and row["status"] == "resolved" and row["channel_kind"] == "webchat"
    assert_error(agent_api.get(f"{API}conversations/", {"assignee": "someone"}), 400, field="assignee")
    assert_error(agent_api.get(f"{API}conversations/", {"status": "closed"}), 400, field="status")
    assert_error(agent_api.get(f"{API}conversations/", {"ordering": "secret"}), 400, field="ordering")


@pytest.mark.parametrize("rows", [3, 30])
def test_lists_run_a_fixed_number_of_queries(agent_api, rows, django_assert_max_num_queries):
    channel = ChannelFactory(kind=ChannelKind.SMS)
    labels = [LabelFactory(), LabelFactory()]
    from crm import services

    for n in range(rows):
        message = receive(channel, thread=f"+23480300{n:05d}", external_id=f"m{n}", phone=f"+23480300{n:05d}")
        services.conversation_labels_set(conversation_id=message.conversation_id, labels=labels)
        services.note_add(conversation_id=message.conversation_id, author=None, body="note") if n == 0 else None
    InboxTeamFactory.create_batch(rows)
    CannedReplyFactory.create_batch(rows)
    first = Conversation.objects.order_by("created_at").first()
    for n in range(rows):
        Message.objects.create(
            conversation=first, channel=channel, direction="inbound", body=f"b{n}", status="received"
        )
    urls = {
        f"{API}conversations/?limit=100": rows,
        f"{API}conversations/{first.pk}/messages/?limit=100": rows + 2,
        f"{API}inbox-teams/?limit=100": rows,
        f"{API}canned-replies/?limit=100": rows,
        f"{API}labels/?limit=100": 2,
        f"{API}channels/?limit=100": 1,
    }
    for url, count in urls.items():
        with django_assert_max_num_queries(6):  # token, user, groups/perms, count (or none: cursor), page, rows
            response = agent_api.get(url)
        assert response.status_code == 200, (url, response.content)
        assert len(response.json()["results"]) == count, url


def test_starting_a_conversation_in_one_call(agent_api, agent):
    channel = ChannelFactory(kind=ChannelKind.SMS)
    body = {"channel": str(channel.pk), "name": "Ngozi Okafor", "phone": "+2348031112222", "message": "Hello!"}
    response = agent_api.post(f"{API}conversations/", body)
    assert response.status_code == 201, response.content
    conversation = Conversation.objects.get(pk=response.json()["id"])
    contact = conversation.contact
    assert (contact.first_name, contact.last_name, str(contact.phone)) == ("Ngozi", "Okafor", "+2348031112222")
    assert conversation.created_by == agent and conversation.channel == channel
    [message] = conversation.messages.filter(kind=MessageKind.MESSAGE)
    assert message.body == "Hello!" and message.author == agent and message.direction == "outbound"
    assert OutboxEvent.objects.filter(event="crm.conversation.created").count() == 1
    # A known contact by id: the same thread, the same conversation.
    again = agent_api.post(f"{API}conversations/", {"channel": str(channel.pk), "contact": str(contact.pk),
                                                    "message": "Any news?"})  # fmt: skip
    assert again.status_code == 201 and again.json()["id"] == str(conversation.pk)
    contacts = Contact.objects.count()
    for change, field in [
        ({"message": ""}, "message"),
        ({"phone": "12"}, "phone"),
        ({"phone": "", "name": "Nobody"}, "contact"),
        ({"contact": str(contact.pk)}, "contact"),  # an id and details
        ({"channel": "00000000-0000-0000-0000-000000000000"}, "channel"),
    ]:
        assert_error(agent_api.post(f"{API}conversations/", body | change), 400, field=field)
    email_only = ChannelFactory(kind=ChannelKind.SMS)
    no_phone = {"channel": str(email_only.pk), "email": "new@example.com", "message": "Hi"}
    assert_error(agent_api.post(f"{API}conversations/", no_phone), 400, field="contact")
    assert Contact.objects.count() == contacts  # the refused start left no contact behind


def test_changing_a_conversation(agent_api, agent):
    channel = ChannelFactory()
    conversation = receive(channel, thread="v-1", external_id="x", email="v@example.com").conversation
    team, label = InboxTeamFactory(), LabelFactory(name="vip")
    url = f"{API}conversations/{conversation.pk}/"
    change = {"assignee": str(agent.pk), "team": str(team.pk), "priority": "high", "labels": [str(label.pk)]}
    response = agent_api.patch(url, change)
    assert response.status_code == 200, response.content
    row = response.json()
    assert (row["assignee"], row["team"], row["priority"], row["labels"]) == (
        str(agent.pk), str(team.pk), "high", ["vip"]
    )  # fmt: skip
    assert agent_api.patch(url, {"status": "resolved"}).json()["status"] == "resolved"
    assert_error(agent_api.patch(url, {"status": "resolved"}), 409, field="status")
    assert_error(agent_api.patch(url, {"status": "snoozed"}), 400, field="snoozed_until")
    until = (timezone.now() + timedelta(hours=2)).isoformat()
    snoozed = agent_api.patch(url, {"status": "snoozed", "snoozed_until": until}).json()
    assert snoozed["status"] == "snoozed" and snoozed["snoozed_until"]
    assert_error(agent_api.patch(url, {"priority": "whenever"}), 400, field="priority")
    # One transaction: a refused part (a label that does not exist) undoes the rest.
    bad = {"priority": "low", "labels": ["00000000-0000-0000-0000-000000000000"]}
    assert_error(agent_api.patch(url, bad), 400, field="labels")
    assert Conversation.objects.get(pk=conversation.pk).priority == "high"
    assert agent_api.patch(url, {"assignee": None}).json()["assignee"] is None


def test_the_thread_replies_and_notes(agent_api, agent, django_capture_on_commit_callbacks):
    channel = ChannelFactory()
    conversation = receive(channel, thread="v-1", external_id="x", email="v@example.com").conversation
    url = f"{API}conversations/{conversation.pk}/messages/"
    with django_capture_on_commit_callbacks(execute=True):
        reply = agent_api.post(url, {"body": "How can I help?"})
    assert reply.status_code == 201, reply.content
    assert reply.json()["kind"] == "message" and reply.json()["author"] == str(agent.pk)
    note = agent_api.post(url, {"kind": "note", "body": "Check their router"})
    assert note.status_code == 201 and note.json()["kind"] == "note"
    assert_error(agent_api.post(url, {"body": "  "}), 400, field="body")
    assert_error(agent_api.post(url, {"kind": "activity", "body": "x"}), 400, field="kind")
    listed = agent_api.get(url).json()
    assert [m["kind"] for m in listed["results"]] == ["note", "message", "message"]  # newest first
    assert Message.objects.get(pk=reply.json()["id"]).status == "sent"  # web chat delivers in the request
    only_notes = agent_api.get(url, {"kind": "note"}).json()["results"]
    assert [m["body"] for m in only_notes] == ["Check their router"]
    assert_error(agent_api.get(url, {"cursor": "%%%"}), 400, field="cursor")
    Channel.objects.filter(pk=channel.pk).update(active=False)
    assert_error(agent_api.post(url, {"body": "Hello?"}), 409)


def test_merging_two_conversations_of_one_contact(agent_api):
    channel = ChannelFactory(kind=ChannelKind.EMAIL)
    a = receive(channel, thread="<a@x>", external_id="<a@x>", email="c@example.com").conversation
    b = receive(channel, thread="<b@x>", external_id="<b@x>", email="c@example.com").conversation
    other = receive(channel, thread="<o@x>", external_id="<o@x>", email="o@example.com").conversation
    assert_error(agent_api.post(f"{API}conversations/{a.pk}/merge/", {"target": str(other.pk)}), 409, field="target")
    assert_error(agent_api.post(f"{API}conversations/{a.pk}/merge/", {"target": str(a.pk)}), 400, field="target")
    response = agent_api.post(f"{API}conversations/{a.pk}/merge/", {"target": str(b.pk)})
    assert response.status_code == 200 and response.json()["id"] == str(b.pk)
    assert b.messages.filter(kind="message").count() == 2
    assert_error(agent_api.get(f"{API}conversations/{a.pk}/"), 404)


# ---- canned replies, labels, teams --------------------------------------------------------------------------------


def test_agents_write_canned_replies_and_admin_the_rest(agent_api, admin_api, agent):
    created = agent_api.post(f"{API}canned-replies/", {"shortcode": "Hello", "body": "Hi {{ contact.first_name }}"})
    assert created.status_code == 201 and created.json()["shortcode"] == "hello"
    CannedReplyFactory(shortcode="refund", title="Refunds", body="We refund within 5 days.")
    found = agent_api.get(f"{API}canned-replies/", {"q": "refund"}).json()["results"]
    assert [r["shortcode"] for r in found] == ["refund"]
    assert [r["shortcode"] for r in agent_api.get(f"{API}canned-replies/", {"shortcode": "he"}).json()["results"]] == [
        "hello"]  # fmt: skip
    assert_error(agent_api.post(f"{API}canned-replies/", {"shortcode": "HELLO", "body": "x"}), 400, field="shortcode")
    assert_error(agent_api.delete(f"{API}canned-replies/{created.json()['id']}/"), 403)
    assert admin_api.delete(f"{API}canned-replies/{created.json()['id']}/").status_code == 204

    assert_error(agent_api.post(f"{API}labels/", {"name": "vip"}), 403)
    label = admin_api.post(f"{API}labels/", {"name": "vip", "colour": "#AA0000"})
    assert label.status_code == 201 and label.json()["colour"] == "#aa0000"
    assert_error(admin_api.post(f"{API}labels/", {"name": "VIP"}), 400, field="name")
    assert_error(admin_api.post(f"{API}labels/", {"name": "red", "colour": "red"}), 400, field="colour")
    assert Label.objects.count() == 1

    team = admin_api.post(f"{API}inbox-teams/", {"name": "Support", "members": [str(agent.pk)], "auto_assign": False})
    assert team.status_code == 201, team.content
    assert team.json()["members"] == [str(agent.pk)] and team.json()["auto_assign"] is False
    assert agent_api.get(f"{API}inbox-teams/{team.json()['id']}/").status_code == 200
    assert_error(agent_api.patch(f"{API}inbox-teams/{team.json()['id']}/", {"name": "X"}), 403)
    renamed = admin_api.patch(f"{API}inbox-teams/{team.json()['id']}/", {"members": []})
    assert renamed.json()["members"] == [] and InboxTeam.objects.get().members.count() == 0
