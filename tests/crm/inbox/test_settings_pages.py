"""The inbox's settings pages in the staff console (channels, teams, labels, canned replies) and the start and merge
pages: each page's exact answer per role and audience, write-only credentials, secrets shown once, the web chat
snippet, service refusals on the field they name, and lists with a fixed number of queries."""

import pytest
from django.urls import reverse

from crm.choices import ChannelKind
from crm.models import CannedReply, Channel, Conversation, InboxTeam, Label
from tests.omni.factories import StaffFactory

from .api_support import receive
from .factories import CannedReplyFactory, ChannelFactory, InboxTeamFactory, LabelFactory

pytestmark = pytest.mark.django_db

ROLES = {"agent": ["Agent"], "sales": ["Sales"], "admin": ["Admin"], "dispatcher": ["Dispatcher"]}
WORKERS = {"agent", "sales", "admin"}
ADMIN = {"admin"}


@pytest.fixture
def world(customer):
    channel = ChannelFactory(kind=ChannelKind.EMAIL, name="Support mail", address="help@example.com")
    a = receive(channel, thread="<a@x>", external_id="<a@x>", email="ada@example.com", name="Ada Obi").conversation
    receive(channel, thread="<b@x>", external_id="<b@x>", email="ada@example.com")
    users = {name: StaffFactory(roles=roles) for name, roles in ROLES.items()}
    return {
        "users": users | {"customer": customer},
        "channel": channel,
        "conversation": a,
        "team": InboxTeamFactory(),
        "label": LabelFactory(),
        "reply": CannedReplyFactory(),
    }


def _pages(world) -> dict:
    """URL -> who gets 200 (every other staff role 403)."""
    ids = {
        "channel": world["channel"].pk,
        "team": world["team"].pk,
        "label": world["label"].pk,
        "reply": world["reply"].pk,
    }
    return {
        reverse("staff:inbox_channels"): ADMIN,
        reverse("staff:inbox_channel_create", args=["sms"]): ADMIN,
        reverse("staff:inbox_channel_create", args=["webchat"]): ADMIN,
        reverse("staff:inbox_channel_edit", args=[ids["channel"]]): ADMIN,
        reverse("staff:inbox_teams"): ADMIN,
        reverse("staff:inbox_team_create"): ADMIN,
        reverse("staff:inbox_team_edit", args=[ids["team"]]): ADMIN,
        reverse("staff:inbox_labels"): WORKERS,
        reverse("staff:inbox_label_create"): ADMIN,
        reverse("staff:inbox_label_edit", args=[ids["label"]]): ADMIN,
        reverse("staff:inbox_canned"): WORKERS,
        reverse("staff:inbox_canned_create"): WORKERS,
        reverse("staff:inbox_canned_edit", args=[ids["reply"]]): WORKERS,
        reverse("staff:inbox_start"): WORKERS,
        reverse("staff:inbox_merge", args=[world["conversation"].pk]): WORKERS,
    }


def test_each_page_answers_each_role_exactly(world, client_as, client):
    wrong = []
    for url, allowed in _pages(world).items():
        for name, user in world["users"].items():
            expected = 200 if name in allowed else 403
            got = client_as(user).get(url).status_code
            if got != expected:
                wrong.append((url, name, got, expected))
        anonymous = client.get(url)
        if anonymous.status_code != 302 or "/login/" not in anonymous["Location"]:
            wrong.append((url, "anonymous", anonymous.status_code, 302))
    assert wrong == []


def test_posts_are_refused_to_roles_without_the_permission(world, client_as):
    agent, dispatcher = client_as(world["users"]["agent"]), client_as(world["users"]["dispatcher"])
    channel, label = world["channel"], world["label"]
    refused = [
        (agent, reverse("staff:inbox_channel_create", args=["webchat"]), {"name": "Site"}),
        (agent, reverse("staff:inbox_channel_rotate", args=[channel.pk]), {}),
        (agent, reverse("staff:inbox_channel_delete", args=[channel.pk]), {}),
        (agent, reverse("staff:inbox_team_create"), {"name": "NOC"}),
        (agent, reverse("staff:inbox_label_create"), {"name": "new", "colour": "#000000"}),
        (agent, reverse("staff:inbox_label_delete", args=[label.pk]), {}),
        (agent, reverse("staff:inbox_canned_delete", args=[world["reply"].pk]), {}),
        (dispatcher, reverse("staff:inbox_canned_create"), {"shortcode": "x", "body": "x"}),
        (dispatcher, reverse("staff:inbox_start"), {"channel": str(channel.pk)}),
    ]
    for client, url, data in refused:
        assert client.post(url, data).status_code == 403, url
    assert Channel.objects.count() == 1 and Label.objects.count() == 1 and CannedReply.objects.count() == 1
    assert InboxTeam.objects.count() == 1
    secret_before = Channel.objects.get(pk=channel.pk).credentials_encrypted
    assert secret_before == channel.credentials_encrypted


def test_an_sms_channel_is_created_with_write_only_credentials(world, client_as):
    admin = client_as(world["users"]["admin"])
    url = reverse("staff:inbox_channel_create", args=["sms"])
    data = {"name": "SMS line", "active": "on", "account_sid": "AC123456789", "auth_token": "tok-console-secret",
            "from_number": "0803 000 1111"}  # fmt: skip
    page = admin.post(url, data)
    assert page.status_code == 422
    assert page.context["form"].errors["from_number"]
    assert not Channel.objects.filter(name="SMS line").exists()
    response = admin.post(url, data | {"from_number": "+2348030001111"})
    assert response.status_code == 302
    channel = Channel.objects.get(name="SMS line")
    assert response["Location"] == reverse("staff:inbox_channel_edit", args=[channel.pk])
    assert channel.credential("auth_token") == "tok-console-secret" and channel.address == "+2348030001111"
    edit = admin.get(response["Location"]).content.decode()
    assert "tok-console-secret" not in edit and "AC123456789" not in edit and "…cret" in edit
    assert f"/hooks/sms/{channel.pk}/" in edit
    # Saving with the credential fields blank keeps them.
    kept = admin.post(response["Location"], {"name": "SMS main", "active": "on"})
    assert kept.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "SMS main" and channel.credential("auth_token") == "tok-console-secret"


def test_email_and_webchat_secrets_are_shown_once_and_the_snippet_given(world, client_as):
    admin = client_as(world["users"]["admin"])
    response = admin.post(
        reverse("staff:inbox_channel_create", args=["webchat"]),
        {"name": "Website", "address": "www.example.com", "active": "on", "colour": "#0f766e", "greeting": "Hi",
         "prechat_name": "off", "prechat_email": "required", "prechat_phone": "optional",
         "business_hours": '{"days": {"mon": [["08:00", "17:00"]]}}'},
    )  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    channel = Channel.objects.get(name="Website")
    assert channel.config["prechat"] == {"name": "off", "email": "required", "phone": "optional"}
    first = admin.get(response["Location"]).content.decode()
    secret = channel.credential("identity_secret")
    assert secret in first and "data-secret-once" in first
    assert (
        f"&lt;script src=&quot;http://localhost/static/js/webchat.js&quot; data-channel=&quot;{channel.pk}&quot;"
        in first
    )
    assert secret not in admin.get(response["Location"]).content.decode()  # once
    rotated = admin.post(reverse("staff:inbox_channel_rotate", args=[channel.pk]))
    assert rotated.status_code == 302
    channel.refresh_from_db()
    new = channel.credential("identity_secret")
    assert new != secret and new in admin.get(rotated["Location"]).content.decode()
    bad = admin.post(
        response["Location"], {"name": "Website", "active": "on", "business_hours": '{"days": {"mon": [["9", "5"]]}}'}
    )
    assert bad.status_code == 422 and bad.context["form"].errors["business_hours"]


def test_a_channel_with_conversations_is_not_deleted(world, client_as):
    admin = client_as(world["users"]["admin"])
    channel = world["channel"]
    response = admin.post(reverse("staff:inbox_channel_delete", args=[channel.pk]), follow=True)
    assert response.status_code == 200 and Channel.objects.filter(pk=channel.pk).exists()
    assert "switch it off" in response.content.decode()
    unused = ChannelFactory()
    assert admin.post(reverse("staff:inbox_channel_delete", args=[unused.pk])).status_code == 302
    assert not Channel.objects.filter(pk=unused.pk).exists()


def test_teams_labels_and_canned_replies_are_managed(world, client_as):
    admin, agent = client_as(world["users"]["admin"]), client_as(world["users"]["agent"])
    member = world["users"]["agent"]
    response = admin.post(reverse("staff:inbox_team_create"), {"name": "NOC", "members": [str(member.pk)],
                                                               "auto_assign": "on", "active": "on"})  # fmt: skip
    assert response.status_code == 302
    assert list(InboxTeam.objects.get(name="NOC").members.all()) == [member]
    taken = admin.post(reverse("staff:inbox_label_create"), {"name": world["label"].name.upper(), "colour": "#000000"})
    assert taken.status_code == 422 and taken.context["form"].errors["name"]
    assert admin.post(reverse("staff:inbox_label_create"), {"name": "vip", "colour": "#AA0000"}).status_code == 302
    assert Label.objects.get(name="vip").colour == "#aa0000"
    created = agent.post(reverse("staff:inbox_canned_create"), {"shortcode": "thanks", "body": "Thank you!"})
    assert created.status_code == 302 and CannedReply.objects.filter(shortcode="thanks").exists()
    page = agent.get(reverse("staff:inbox_canned"), {"q": "thank you"}).content.decode()
    assert "/thanks" in page and f"/{world['reply'].shortcode}" not in page
    reply = CannedReply.objects.get(shortcode="thanks")
    assert admin.post(reverse("staff:inbox_canned_delete", args=[reply.pk])).status_code == 302
    assert not CannedReply.objects.filter(pk=reply.pk).exists()


@pytest.mark.parametrize("rows", [3, 30])
def test_settings_lists_run_a_fixed_number_of_queries(world, client_as, rows, django_assert_max_num_queries):
    admin = client_as(world["users"]["admin"])
    for _n in range(rows):
        InboxTeamFactory().members.add(world["users"]["agent"], world["users"]["sales"])
        ChannelFactory(team=InboxTeam.objects.first())
        LabelFactory()
        CannedReplyFactory()
    for name in ("staff:inbox_channels", "staff:inbox_teams", "staff:inbox_labels", "staff:inbox_canned"):
        with django_assert_max_num_queries(12):
            assert admin.get(reverse(name)).status_code == 200, name


def test_starting_a_conversation_from_the_console(world, client_as):
    agent = client_as(world["users"]["agent"])
    sms = ChannelFactory(kind=ChannelKind.SMS, name="SMS")
    url = reverse("staff:inbox_start")
    found = agent.get(url, {"q": "Ada"}).content.decode()
    assert "ada@example.com" in found
    empty = agent.post(url, {"channel": str(sms.pk), "name": "Ngozi", "phone": "+2348031112222", "message": ""})
    assert empty.status_code == 422 and empty.context["form"].errors["message"]
    nobody = agent.post(url, {"channel": str(sms.pk), "message": "Hi"})
    assert nobody.status_code == 422 and nobody.context["form"].errors["contact"]
    no_phone = agent.post(url, {"channel": str(sms.pk), "contact": str(world["conversation"].contact_id),
                                "message": "Hi"})  # fmt: skip
    assert no_phone.status_code == 422 and no_phone.context["form"].errors["contact"]
    response = agent.post(url, {"channel": str(sms.pk), "name": "Ngozi Okafor", "phone": "+2348031112222",
                                "message": "Hello from us"})  # fmt: skip
    assert response.status_code == 302
    conversation = Conversation.objects.get(channel=sms)
    assert response["Location"] == reverse("staff:inbox_conversation", args=[conversation.pk])
    assert conversation.contact.first_name == "Ngozi" and conversation.messages.get(kind="message").body == (
        "Hello from us")  # fmt: skip


def test_merging_from_the_console(world, client_as):
    agent = client_as(world["users"]["agent"])
    source = world["conversation"]
    other = receive(world["channel"], thread="<o@x>", external_id="<o@x>", email="someone@example.com").conversation
    page = agent.get(reverse("staff:inbox_merge", args=[source.pk]))
    targets = list(page.context["form"].fields["target"].queryset)
    assert other not in targets and len(targets) == 1
    refused = agent.post(reverse("staff:inbox_merge", args=[source.pk]), {"target": str(other.pk)})
    assert refused.status_code == 422 and refused.context["form"].errors["target"]
    response = agent.post(reverse("staff:inbox_merge", args=[source.pk]), {"target": str(targets[0].pk)})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:inbox_conversation", args=[targets[0].pk])
    assert Conversation.objects.get(pk=source.pk).merged_into_id == targets[0].pk
    assert agent.get(reverse("staff:inbox_merge", args=[source.pk])).status_code == 404  # merged: gone
