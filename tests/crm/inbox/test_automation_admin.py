"""The admin of inbox automation: every model listed with search and filters; rules are written through the
service (conditions and actions validated as in the console); the records of what fired are read-only."""

import json

import pytest

from crm import services
from crm.choices import RuleEvent
from crm.models import Rule
from tests.admin_support import admin_form_data

from .factories import LabelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(admin_user, client_as):
    return client_as(admin_user)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/crm/rule/?q=vip&event__exact=message_received",
        "/admin/crm/rulerun/?q=vip&event__exact=message_received",
        "/admin/crm/automatedmessage/?q=CNV&purpose__exact=csat",
        "/admin/crm/csatresponse/?q=CNV&rating__exact=5",
    ],
)
def test_every_automation_model_is_listed_with_search_and_filters(admin, path, client_as, agent):
    assert admin.get(path).status_code == 200
    assert client_as(agent).get(path).status_code == 403  # Agents hold no automation permission


def test_an_admin_rule_goes_through_the_service(admin):
    label = LabelFactory()
    page = admin.get("/admin/crm/rule/add/")
    assert page.status_code == 200
    data = admin_form_data(
        page,
        name="VIP",
        event=RuleEvent.MESSAGE_RECEIVED,
        match="all",
        conditions=json.dumps([{"field": "colour", "value": "red"}]),
        actions=json.dumps([{"action": "add_label", "value": str(label.pk)}]),
    )
    refused = admin.post("/admin/crm/rule/add/", data)
    assert refused.status_code == 302 and not Rule.objects.exists()  # back to the form with the reason
    data["conditions"] = "[]"
    assert admin.post("/admin/crm/rule/add/", data).status_code == 302
    rule = Rule.objects.get()
    assert rule.actions == [{"action": "add_label", "value": str(label.pk)}] and rule.position == 10


def test_rule_runs_cannot_be_added_by_hand(admin):
    assert admin.get("/admin/crm/rulerun/add/").status_code == 403
    assert admin.get("/admin/crm/csatresponse/add/").status_code == 403


def test_a_rule_edit_in_the_admin_is_validated(admin):
    label = LabelFactory()
    rule = services.rule_create(
        name="Edit me", event=RuleEvent.MESSAGE_RECEIVED, conditions=[], actions=[{"action": "resolve"}]
    )
    url = f"/admin/crm/rule/{rule.pk}/change/"
    page = admin.get(url)
    bad = admin_form_data(page, actions=json.dumps([{"action": "add_label", "value": "nope"}]))
    admin.post(url, bad)
    rule.refresh_from_db()
    assert rule.actions == [{"action": "resolve"}]
    good = admin_form_data(page, actions=json.dumps([{"action": "add_label", "value": str(label.pk)}]))
    assert admin.post(url, good).status_code == 302
    rule.refresh_from_db()
    assert rule.actions[0]["value"] == str(label.pk)
