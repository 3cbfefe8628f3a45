"""The inbox's admin: every model listed with search and filters; a channel's credentials set through write-only
fields (never shown back; a generated secret shown once, in the message after create); conversations read-mostly
with their messages inline; messages and attachments read-only."""

import pytest

from crm.choices import ChannelKind, ConversationStatus
from crm.models import Channel, Conversation, Message
from tests.admin_support import admin_form_data

from .api_support import receive
from .factories import CannedReplyFactory, ChannelFactory, InboxTeamFactory, LabelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(admin_user, client_as):
    return client_as(admin_user)


def test_every_inbox_model_lists_with_search_and_filters(admin, django_assert_max_num_queries):
    channel = ChannelFactory(kind=ChannelKind.SMS, name="Support SMS")
    message = receive(channel, thread="+2348030000001", external_id="m1", phone="+2348030000001", body="Router down")
    InboxTeamFactory(name="NOC")
    LabelFactory(name="outage")
    CannedReplyFactory(shortcode="thanks")
    pages = {
        "channel": "?q=support&kind__exact=sms",
        "conversation": f"?q={message.conversation.number}&status__exact=open",
        "message": "?q=router&kind__exact=message",
        "messageattachment": "?q=x",
        "inboxteam": "?q=noc&active__exact=1",
        "inboxagent": "?q=agent&available__exact=0",
        "label": "?q=out",
        "cannedreply": "?q=thanks",
    }
    for model, query in pages.items():
        with django_assert_max_num_queries(15):
            response = admin.get(f"/admin/crm/{model}/{query}")
        assert response.status_code == 200, model
    assert b"Router down" in admin.get("/admin/crm/message/?q=router").content


def test_channel_credentials_are_write_only_and_the_secret_shown_once(admin):
    page = admin.get("/admin/crm/channel/add/")
    data = admin_form_data(page, kind="sms", name="SMS", active="on", config="{}")
    data |= {"account_sid": "AC0123456789", "auth_token": "tok-very-secret", "from_number": "+2348030001111"}
    response = admin.post("/admin/crm/channel/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    channel = Channel.objects.get(name="SMS")
    assert channel.credential("auth_token") == "tok-very-secret" and channel.address == "+2348030001111"
    change = admin.get(f"/admin/crm/channel/{channel.pk}/change/")
    assert b"tok-very-secret" not in change.content and "…cret".encode() in change.content
    # Blank credential fields keep what is stored; a bad number is refused naming the field.
    page = admin.get(f"/admin/crm/channel/{channel.pk}/change/")
    assert admin.post(page.request["PATH_INFO"], admin_form_data(page, name="SMS 2")).status_code == 302
    channel.refresh_from_db()
    assert channel.name == "SMS 2" and channel.credential("auth_token") == "tok-very-secret"
    refused = admin.post(page.request["PATH_INFO"], admin_form_data(page, from_number="0803"), follow=True)
    assert "from_number" in refused.content.decode()
    assert Channel.objects.get(pk=channel.pk).credential("from_number") == "+2348030001111"

    page = admin.get("/admin/crm/channel/add/")
    data = admin_form_data(page, kind="email", name="Mail", address="help@example.com", active="on", config="{}")
    done = admin.post("/admin/crm/channel/add/", data, follow=True)
    secret = Channel.objects.get(name="Mail").credential("inbound_secret")
    assert secret and secret in done.content.decode()  # once, in the message
    assert secret not in admin.get(f"/admin/crm/channel/{Channel.objects.get(name='Mail').pk}/change/").content.decode()


def test_conversations_are_read_mostly_and_messages_read_only(admin):
    channel = ChannelFactory(kind=ChannelKind.SMS)
    message = receive(channel, thread="+2348030000001", external_id="m1", phone="+2348030000001", body="Hello there")
    conversation = message.conversation
    page = admin.get(f"/admin/crm/conversation/{conversation.pk}/change/")
    assert page.status_code == 200 and b"Hello there" in page.content
    assert admin.get("/admin/crm/conversation/add/").status_code == 403
    data = {"action": "resolve", "_selected_action": [str(conversation.pk)]}
    assert admin.post("/admin/crm/conversation/", data).status_code == 302
    assert Conversation.objects.get(pk=conversation.pk).status == ConversationStatus.RESOLVED
    assert admin.get(f"/admin/crm/message/{message.pk}/change/").status_code == 200  # view only
    assert admin.post(f"/admin/crm/message/{message.pk}/change/", {"body": "edited"}).status_code == 403
    assert Message.objects.get(pk=message.pk).body == "Hello there"
    assert admin.get("/admin/crm/message/add/").status_code == 403
