"""The admin of leads and stages: lists with search and filters, and writes through crm.services (events, the
lost-reason rule, conversion)."""

import pytest

from crm.models import Account, Lead, LeadStage
from notifications.models import OutboxEvent
from tests.admin_support import admin_form_data
from tests.crm.lead_factories import LeadFactory, stage


@pytest.fixture
def admin(admin_user, client_as):
    return client_as(admin_user)


def test_lead_changelist_searches_and_filters(admin, reseller_org, django_assert_max_num_queries):
    wanted = LeadFactory(company="Zenith Fibre", reseller=reseller_org)
    LeadFactory(company="Other", stage=stage("Qualified"))
    for query in ("q=zenith", f"q={wanted.number}", f"reseller__id__exact={reseller_org.pk}", "converted=no"):
        page = admin.get(f"/admin/crm/lead/?{query}")
        assert page.status_code == 200
        assert wanted.number in page.content.decode(), query
    page = admin.get(f"/admin/crm/lead/?stage__id__exact={stage('Qualified').pk}")
    assert wanted.number not in page.content.decode()
    LeadFactory.create_batch(30)
    with django_assert_max_num_queries(20):
        assert admin.get("/admin/crm/lead/").status_code == 200


def test_an_admin_edit_goes_through_the_service(admin, admin_user):
    lead = LeadFactory()
    url = f"/admin/crm/lead/{lead.pk}/change/"
    page = admin.get(url)
    assert page.status_code == 200
    response = admin.post(url, admin_form_data(page, stage=str(stage("Lost").pk), lost_reason=""))
    assert response.status_code == 302  # refused by the service: back to the page with the reason
    lead.refresh_from_db()
    assert lead.stage == stage("New")
    response = admin.post(url, admin_form_data(page, stage=str(stage("Lost").pk), lost_reason="No coverage"))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.stage.name, lead.lost_reason) == ("Lost", "No coverage")
    (event,) = OutboxEvent.objects.filter(event="crm.lead.updated")
    assert event.actor_id == admin_user.pk and event.data["stage"]["name"] == "Lost"


def test_the_convert_action_converts_once(admin):
    leads = LeadFactory.create_batch(2)
    data = {"action": "convert", "_selected_action": [str(lead.pk) for lead in leads]}
    assert admin.post("/admin/crm/lead/", data).status_code == 302
    assert admin.post("/admin/crm/lead/", data).status_code == 302  # the second time: refused per lead
    assert Account.objects.count() == 2
    assert Lead.objects.filter(converted_at__isnull=False).count() == 2


def test_stage_list_is_editable_in_place_through_the_service(admin):
    page = admin.get("/admin/crm/leadstage/?q=qual")
    assert page.status_code == 200 and "Qualified" in page.content.decode()
    response = admin.post("/admin/crm/leadstage/add/", {"name": "qualified", "position": 5, "probability": 10})
    assert response.status_code in (200, 302)
    assert LeadStage.objects.filter(name__iexact="qualified").count() == 1
