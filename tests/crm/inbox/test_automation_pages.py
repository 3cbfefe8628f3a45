"""The rules pages (Admin's: crm.*_rule) and the availability toggle (any inbox agent), for each audience and role
with the exact status; the list runs a fixed number of queries."""

import json

import pytest

from crm import services
from crm.choices import RuleEvent
from crm.models import InboxAgent, Rule

from .factories import CannedReplyFactory, InboxTeamFactory, LabelFactory

pytestmark = pytest.mark.django_db

PAGES = ["/inbox/rules/", "/inbox/rules/new/"]


@pytest.fixture
def rule():
    label = LabelFactory(name="vip")
    return services.rule_create(
        name="VIP",
        event=RuleEvent.MESSAGE_RECEIVED,
        conditions=[{"field": "email_domain", "operator": "is", "value": "bigcorp.example"}],
        actions=[{"action": "add_label", "value": str(label.pk)}],
    )


@pytest.mark.parametrize("path", PAGES)
def test_rule_pages_are_admins(path, client_as, client, agent, sales, admin_user, customer, rule):
    assert client_as(admin_user).get(path).status_code == 200
    assert client_as(agent).get(path).status_code == 403
    assert client_as(sales).get(path).status_code == 403
    assert client_as(customer).get(path).status_code == 403
    anonymous = client.get(path, HTTP_HOST="localhost")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    edit = f"/inbox/rules/{rule.pk}/edit/"
    assert client_as(admin_user).get(edit).status_code == 200
    assert client_as(agent).get(edit).status_code == 403


def test_posts_on_rules_are_refused_to_agents(client_as, agent, rule):
    browser = client_as(agent)
    assert browser.post("/inbox/rules/new/", {"name": "x"}).status_code == 403
    assert browser.post(f"/inbox/rules/{rule.pk}/active/", {"active": "false"}).status_code == 403
    assert browser.post(f"/inbox/rules/{rule.pk}/move/", {"direction": "up"}).status_code == 403
    assert browser.post(f"/inbox/rules/{rule.pk}/delete/").status_code == 403
    rule.refresh_from_db()
    assert rule.active


def test_the_list_shows_rules_in_order_with_names_in_fixed_queries(
    client_as, admin_user, rule, django_assert_max_num_queries
):
    browser = client_as(admin_user)
    browser.get("/inbox/rules/")  # warm the session and permission caches
    team, canned = InboxTeamFactory(name="Billing team"), CannedReplyFactory(shortcode="hello")
    with django_assert_max_num_queries(12) as few:
        page = browser.get("/inbox/rules/")
    for n in range(20):
        services.rule_create(
            name=f"Rule {n}",
            event=RuleEvent.CONVERSATION_CREATED,
            conditions=[{"field": "subject", "operator": "contains", "value": "bill"}],
            actions=[
                {"action": "assign_team", "value": str(team.pk)},
                {"action": "send_canned_reply", "value": str(canned.pk)},
            ],
        )
    with django_assert_max_num_queries(len(few.captured_queries) + 2):  # +2: the team and canned reply lookups
        page = browser.get("/inbox/rules/")
    text = page.content.decode()
    assert page.status_code == 200 and "Billing team" in text and "hello" in text
    assert text.index("Rule 0") < text.index("Rule 19") and "bigcorp.example" in text


def test_an_admin_builds_a_rule_and_bad_rows_are_named(client_as, admin_user):
    browser = client_as(admin_user)
    label = LabelFactory(name="outage")
    data = {
        "name": "Outage",
        "event": RuleEvent.MESSAGE_RECEIVED,
        "match": "any",
        "active": "on",
        "conditions": json.dumps([{"field": "message_body", "operator": "contains", "value": "down"}]),
        "actions": json.dumps(
            [{"action": "add_label", "value": str(label.pk)}, {"action": "set_priority", "value": "x"}]
        ),
    }
    bad = browser.post("/inbox/rules/new/", data)
    assert bad.status_code == 422 and "Action 2, value: choose one of" in bad.content.decode()
    assert not Rule.objects.exists()
    broken = browser.post("/inbox/rules/new/", {**data, "conditions": "{nope"})
    assert broken.status_code == 422 and "Not valid JSON." in broken.content.decode()
    data["actions"] = json.dumps([{"action": "add_label", "value": str(label.pk)}])
    done = browser.post("/inbox/rules/new/", data)
    assert done.status_code == 302 and done["Location"] == "/inbox/rules/"
    rule = Rule.objects.get()
    assert (rule.match, rule.conditions[0]["value"], rule.actions) == (
        "any", "down", [{"action": "add_label", "value": str(label.pk)}],
    )  # fmt: skip
    edited = browser.post(f"/inbox/rules/{rule.pk}/edit/", {**data, "name": "Outage desk", "active": ""})
    assert edited.status_code == 302
    rule.refresh_from_db()
    assert rule.name == "Outage desk" and not rule.active


def test_an_admin_switches_moves_and_deletes_rules(client_as, admin_user, rule):
    browser = client_as(admin_user)
    second = services.rule_create(name="Second", event=rule.event, actions=rule.actions, conditions=[])
    assert browser.post(f"/inbox/rules/{second.pk}/move/", {"direction": "up"}).status_code == 302
    assert list(Rule.objects.order_by("position").values_list("name", flat=True)) == ["Second", "VIP"]
    assert browser.post(f"/inbox/rules/{second.pk}/move/", {"direction": "sideways"}).status_code == 400
    assert browser.post(f"/inbox/rules/{rule.pk}/active/", {"active": "false"}).status_code == 302
    rule.refresh_from_db()
    assert not rule.active
    assert browser.post(f"/inbox/rules/{rule.pk}/delete/").status_code == 302
    assert list(Rule.objects.values_list("name", flat=True)) == ["Second"]
    assert browser.get(f"/inbox/rules/{rule.pk}/edit/").status_code == 404


def test_an_agent_toggles_their_own_availability(client_as, client, agent, customer):
    browser = client_as(agent)
    assert browser.get("/inbox/availability/").status_code == 405
    response = browser.post("/inbox/availability/", {"next": "/inbox/"})
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert InboxAgent.objects.get(user=agent).available
    response = browser.post("/inbox/availability/", {"available": "false", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert not InboxAgent.objects.get(user=agent).available
    partial = browser.post("/inbox/availability/", {"available": "true"}, HTTP_HX_REQUEST="true")
    assert (
        partial.status_code == 200 and b'id="inbox-availability"' in partial.content and b"Available" in partial.content
    )
    assert browser.post("/inbox/availability/", {"available": "maybe"}).status_code == 400
    assert client_as(customer).post("/inbox/availability/").status_code == 403
    assert client.post("/inbox/availability/", HTTP_HOST="localhost").status_code == 302  # to the login
