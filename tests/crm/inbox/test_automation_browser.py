"""The rule builder in Debian's chromium: an Admin adds a condition row and an action row, picks their values from
the lists the page offers, saves, and the rule is stored as built; axe-core finds nothing serious on the form."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from crm.models import Rule
from tests.browser import axe_violations
from tests.omni.factories import StaffFactory

from .factories import LabelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_builds_a_rule_row_by_row(live_server, context, page):
    admin = StaffFactory(email="rules-admin@example.com", is_superuser=True, roles=["Admin"])
    label = LabelFactory(name="billing")
    session = Client(HTTP_HOST="localhost")
    session.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
                "secure": settings.SESSION_COOKIE_SECURE,
            }
        ]
    )
    page.goto(f"{live_server.url}/inbox/rules/new/")
    page.get_by_label("Name").fill("Billing questions")
    page.get_by_label("When").select_option("message_received")
    page.get_by_role("button", name="Add condition").click()
    page.get_by_label("Condition 1").select_option("subject")
    page.get_by_label("Operator").select_option("contains")
    page.locator("#rule-form input[type=text][aria-label=Value]").fill("invoice")
    page.get_by_role("button", name="Add action").click()
    page.get_by_label("Action 1").select_option("add_label")
    page.locator("#rule-form select[aria-label=Value]").select_option(str(label.pk))
    assert axe_violations(page) == []
    page.get_by_role("button", name="Create rule").click()
    page.wait_for_url(f"{live_server.url}/inbox/rules/")
    expect(page.locator("#rules-message_received-section")).to_contain_text("Billing questions")
    rule = Rule.objects.get()
    assert rule.conditions == [{"field": "subject", "operator": "contains", "value": "invoice"}]
    assert rule.actions == [{"action": "add_label", "value": str(label.pk)}]
