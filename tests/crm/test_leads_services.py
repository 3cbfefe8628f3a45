"""crm.services.leads: capture, edit, move across the pipeline, convert (once, even when two run at once), delete,
stages, the duplicate check and the follow-up reminders."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from crm import selectors, services
from crm.models import Account, AccountContact, Contact, Lead
from notifications import services as notifications
from notifications.models import Delivery, Notification, OutboxEvent
from omni.exceptions import Conflict, InvalidTransition
from tests.crm.factories import AccountFactory, ContactFactory, ResellerFactory, link
from tests.crm.lead_factories import LeadFactory, stage, stages

pytestmark = pytest.mark.django_db


def test_create_starts_in_the_first_open_stage_owned_by_its_creator(sales, django_capture_on_commit_callbacks):
    lead = services.lead_create(by=sales, first_name="Ada", last_name="Obi", phone="08031234567", company="Acme")
    assert lead.stage == stage("New") and lead.owner == sales and lead.created_by == sales
    assert lead.stage_changed_at is not None
    assert str(lead.phone) == "+2348031234567"
    assert lead.number.startswith("LD-")
    (event,) = OutboxEvent.objects.filter(event="crm.lead.created")
    assert event.data["id"] == str(lead.pk) and event.data["number"] == lead.number
    assert event.data["expected_monthly_value"] == "0.00" and event.data["owner"]["id"] == str(sales.pk)


def test_reseller_users_leads_are_their_resellers_whatever_they_send(reseller, reseller_org, sales):
    other = ResellerFactory()
    lead = services.lead_create(
        by=reseller, first_name="Bola", reseller=other, owner=sales, source="website", notes="internal"
    )
    assert lead.reseller == reseller_org and lead.source == "reseller"
    assert lead.owner is None and lead.notes == "" and lead.created_by == reseller


def test_bad_input_is_a_validation_error_keyed_by_field(sales):
    with pytest.raises(ValidationError) as bad:
        services.lead_create(by=sales, first_name="X", currency="naira")
    assert "currency" in bad.value.message_dict
    with pytest.raises(ValidationError) as bad:
        services.lead_create(by=sales, first_name="X", expected_monthly_value=Decimal("-1"))
    assert "expected_monthly_value" in bad.value.message_dict or "__all__" in bad.value.message_dict
    with pytest.raises(ValidationError) as bad:
        services.lead_create(by=sales, first_name="X", owner=ContactFactory() and None, stage=stage("Lost"))
    assert "lost_reason" in bad.value.message_dict
    assert not Lead.objects.exists()


def test_moving_to_lost_needs_a_reason_and_leaving_lost_clears_it(sales):
    lead = LeadFactory()
    with pytest.raises(ValidationError) as bad:
        services.lead_move(lead_id=lead.pk, stage_id=stage("Lost").pk, by=sales)
    assert list(bad.value.message_dict) == ["lost_reason"]
    lead.refresh_from_db()
    assert lead.stage == stage("New")
    before = lead.stage_changed_at
    services.lead_move(lead_id=lead.pk, stage_id=stage("Lost").pk, by=sales, lost_reason="  Too expensive ")
    lead.refresh_from_db()
    assert (lead.stage.name, lead.lost_reason) == ("Lost", "Too expensive")
    assert lead.stage_changed_at > before
    services.lead_move(lead_id=lead.pk, stage_id=stage("Contacted").pk, by=sales)
    lead.refresh_from_db()
    assert (lead.stage.name, lead.lost_reason) == ("Contacted", "")


def test_moving_to_its_own_stage_changes_nothing(sales):
    lead = LeadFactory(stage=stage("Qualified"))
    before = (lead.updated_at, lead.stage_changed_at)
    services.lead_move(lead_id=lead.pk, stage_id=stage("Qualified").pk, by=sales)
    lead.refresh_from_db()
    assert (lead.updated_at, lead.stage_changed_at) == before
    assert not OutboxEvent.objects.exists()


def test_a_switched_off_stage_takes_no_lead(sales):
    lead = LeadFactory()
    off = services.leadstage_create(name="Parked", position=70, is_active=False)
    with pytest.raises(ValidationError) as bad:
        services.lead_move(lead_id=lead.pk, stage_id=off.pk, by=sales)
    assert list(bad.value.message_dict) == ["stage"]


def test_convert_makes_an_account_and_its_primary_contact_in_one_go(sales, reseller_org):
    lead = LeadFactory(
        first_name="Ada", last_name="Obi", company="Acme Ltd", email="ada@acme.example.com", reseller=reseller_org
    )
    services.lead_convert(lead_id=lead.pk, by=sales)
    lead.refresh_from_db()
    account, contact = lead.account, lead.contact
    assert (account.name, account.kind, account.status, account.reseller) == (
        "Acme Ltd",
        "business",
        "prospect",
        reseller_org,
    )
    assert account.service_address == lead.service_address and account.location == lead.location
    assert (contact.full_name, contact.email) == ("Ada Obi", "ada@acme.example.com")
    assert AccountContact.objects.get(account=account, contact=contact).role == "primary"
    assert lead.converted_by == sales and lead.converted_at is not None
    assert lead.stage == stage("Won")
    assert list(account.leads.all()) == [lead]  # the link both ways
    events = list(OutboxEvent.objects.order_by("created_at").values_list("event", flat=True))
    assert events == ["crm.account.created", "crm.contact.created", "crm.lead.converted"]
    converted = OutboxEvent.objects.get(event="crm.lead.converted").data
    assert converted["account"]["id"] == str(account.pk) and converted["contact"]["id"] == str(contact.pk)


def test_a_person_without_company_becomes_a_residential_account(sales):
    lead = LeadFactory(first_name="Bola", last_name="Ade", company="")
    services.lead_convert(lead_id=lead.pk, by=sales, name="Ade household")
    lead.refresh_from_db()
    assert (lead.account.name, lead.account.kind) == ("Ade household", "residential")


def test_the_leads_quotes_follow_it_to_the_new_account(sales):
    lead = LeadFactory(email="quoted@example.com")
    lines = [{"description": "Installation", "unit_price": "25000.00"}]
    sent = services.quote_send(quote_id=services.quote_create(lead_id=lead.pk, lines=lines).pk)
    draft = services.quote_create(lead_id=lead.pk, lines=lines)
    services.lead_convert(lead_id=lead.pk, by=sales)
    lead.refresh_from_db()
    for quote in (sent, draft):
        quote.refresh_from_db()
        assert (quote.account, quote.lead, quote.contact) == (lead.account, lead, lead.contact)


def test_converting_twice_is_a_conflict_and_creates_one_account(sales):
    lead = LeadFactory()
    services.lead_convert(lead_id=lead.pk, by=sales)
    with pytest.raises(Conflict):
        services.lead_convert(lead_id=lead.pk, by=sales)
    assert Account.objects.count() == 1 and Contact.objects.count() == 1
    with pytest.raises(InvalidTransition):
        services.lead_move(lead_id=lead.pk, stage_id=stage("New").pk, by=sales)


def test_joining_an_existing_account_links_its_contact_with_the_same_email(sales):
    account = AccountFactory()
    known = ContactFactory(email="ADA@example.com")
    link(known, account)
    lead = LeadFactory(email="ada@example.com")
    services.lead_convert(lead_id=lead.pk, by=sales, account_id=account.pk)
    lead.refresh_from_db()
    assert lead.account == account and lead.contact == known
    assert Account.objects.count() == 1 and Contact.objects.count() == 1


def test_joining_an_existing_account_creates_the_person_when_unknown(sales):
    account = AccountFactory()
    link(ContactFactory(), account)
    lead = LeadFactory(email="new.person@example.com")
    services.lead_convert(lead_id=lead.pk, by=sales, account_id=account.pk)
    lead.refresh_from_db()
    assert lead.contact.email == "new.person@example.com"
    assert AccountContact.objects.get(account=account, contact=lead.contact).role == "other"  # it has a primary


def test_a_missing_account_is_a_validation_error_and_changes_nothing(sales):
    lead = LeadFactory()
    with pytest.raises(ValidationError) as bad:
        services.lead_convert(lead_id=lead.pk, by=sales, account_id="00000000-0000-0000-0000-000000000000")
    assert list(bad.value.message_dict) == ["account"]
    lead.refresh_from_db()
    assert lead.converted_at is None and not Account.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_conversions_at_once_make_one_account():
    from tests.omni.factories import StaffFactory

    stages()
    sales = StaffFactory(roles=["Sales"])
    lead = LeadFactory()
    barrier = threading.Barrier(2)

    def convert(_):
        barrier.wait()
        try:
            services.lead_convert(lead_id=lead.pk, by=sales)
            return "ok"
        except Conflict:
            return "conflict"
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(convert, range(2))) == ["conflict", "ok"]
    assert Account.objects.count() == 1 and Contact.objects.count() == 1
    lead.refresh_from_db()
    assert lead.account == Account.objects.get()


def test_delete_refuses_converted_leads(sales):
    lead, kept = LeadFactory(), LeadFactory()
    services.lead_convert(lead_id=kept.pk, by=sales)
    services.lead_delete(lead_id=lead.pk, by=sales)
    with pytest.raises(Conflict):
        services.lead_delete(lead_id=kept.pk, by=sales)
    assert list(Lead.objects.all()) == [kept]


def test_stage_flags_stay_while_it_holds_leads_and_it_cannot_be_deleted():
    LeadFactory(stage=stage("Qualified"))
    with pytest.raises(Conflict):
        services.leadstage_update(stage_id=stage("Qualified").pk, is_won=True)
    with pytest.raises(Conflict):
        services.leadstage_delete(stage_id=stage("Qualified").pk)
    services.leadstage_update(stage_id=stage("Qualified").pk, name="Qualified lead", position=35)
    with pytest.raises(ValidationError):
        services.leadstage_create(name="qualified LEAD")  # names are unique in any case


# ---- duplicates -------------------------------------------------------------------------------------------------


def test_duplicates_are_contacts_and_other_leads_by_email_any_case_or_phone():
    contact = ContactFactory(email="Ada@Example.com", phone="+2348030000001")
    by_phone = LeadFactory(email="x@example.com", phone="+2348030000002")
    by_email = LeadFactory(email="ADA@example.com", phone="+2348030000009")
    LeadFactory(email="other@example.com", phone="+2348030000003")
    found = selectors.lead_duplicates_of(email="ada@example.com", phone="08030000002", exclude_id=by_email.pk)
    assert found["contacts"] == [contact]
    assert found["leads"] == [by_phone]
    assert selectors.lead_duplicates_of(email="", phone="") == {"contacts": [], "leads": []}


# ---- follow-up reminders ----------------------------------------------------------------------------------------

TODAY = date(2026, 12, 3)


def test_follow_ups_due_are_reminded_to_the_owner_once(sales, django_capture_on_commit_callbacks):
    due = LeadFactory(owner=sales, next_follow_up=TODAY, first_name="Ada", last_name="Obi")
    late = LeadFactory(owner=sales, next_follow_up=TODAY - timedelta(days=2))
    LeadFactory(owner=sales, next_follow_up=TODAY + timedelta(days=1))  # not yet
    LeadFactory(owner=None, next_follow_up=TODAY)  # nobody to tell
    LeadFactory(owner=sales, next_follow_up=TODAY, stage=stage("Lost"), lost_reason="No coverage")
    won = LeadFactory(owner=sales, next_follow_up=TODAY)
    services.lead_convert(lead_id=won.pk, by=sales)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.lead_follow_up_remind(today=TODAY) == 2
    assert services.lead_follow_up_remind(today=TODAY) == 0  # a second run sends nothing again

    reminded = dict(Lead.objects.values_list("pk", "follow_up_reminded_on"))
    assert reminded[due.pk] == TODAY and reminded[late.pk] == TODAY - timedelta(days=2)
    assert sum(1 for value in reminded.values() if value) == 2
    deliveries = Delivery.objects.filter(event="crm.lead.follow_up_due")
    assert sorted(deliveries.values_list("channel", flat=True)) == ["email", "email", "inapp", "inapp"]
    assert {d.recipient_key for d in deliveries} == {f"omni.user:{sales.pk}"}
    notifications.deliveries_send([d.pk for d in deliveries])
    assert Notification.objects.filter(user=sales, event="crm.lead.follow_up_due").count() == 2
    subjects = sorted(message.subject for message in mail.outbox)
    assert any(subject.endswith(f"Follow up lead {due.number} today") for subject in subjects)
    (email,) = [m for m in mail.outbox if due.number in m.subject]
    assert email.to[0].endswith("sales@example.com>") or email.to == ["sales@example.com"]
    assert "Ada Obi" in email.body and f"/leads/{due.pk}/" in email.body

    # A new follow-up date is reminded again when it comes; the old one never again.
    services.lead_update(lead_id=due.pk, by=sales, next_follow_up=TODAY + timedelta(days=7))
    assert services.lead_follow_up_remind(today=TODAY + timedelta(days=6)) == 1  # the "not yet" lead, now due
    assert services.lead_follow_up_remind(today=TODAY + timedelta(days=7)) == 1
    assert services.lead_follow_up_remind(today=TODAY + timedelta(days=8)) == 0


def test_the_beat_task_runs_the_reminders(sales):
    from crm import tasks
    from omni.schedule import beat_schedule

    LeadFactory(owner=sales, next_follow_up=date.today() - timedelta(days=1))
    tasks.lead_follow_up_remind()
    tasks.lead_follow_up_remind()
    assert Delivery.objects.filter(event="crm.lead.follow_up_due", channel="email").count() == 1
    entry = beat_schedule(heartbeat_interval=60)["crm-lead-follow-up-remind"]
    assert entry["task"] == "crm.tasks.lead_follow_up_remind"


@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_remind_each_lead_once():
    from tests.omni.factories import StaffFactory

    stages()
    owner = StaffFactory(roles=["Sales"])
    LeadFactory.create_batch(6, owner=owner, next_follow_up=TODAY)
    barrier = threading.Barrier(2)

    def run(_):
        barrier.wait()
        try:
            return services.lead_follow_up_remind(today=TODAY, batch=4)
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        first = sum(pool.map(run, range(2)))
    rest = services.lead_follow_up_remind(today=TODAY)
    assert first + rest == 6
    assert Delivery.objects.filter(event="crm.lead.follow_up_due", channel="email").count() == 6
    assert not Lead.objects.exclude(follow_up_reminded_on=TODAY).exists()


def test_the_default_stages_come_back_when_migrate_or_a_flush_left_none():
    from django.apps import apps

    from crm.apps import lead_stages_ensure
    from crm.models import LeadStage

    config = apps.get_app_config("crm")
    LeadStage.objects.all().delete()
    lead_stages_ensure(config)
    assert list(LeadStage.objects.order_by("position").values_list("name", "is_won", "is_lost")) == [
        ("New", False, False),
        ("Contacted", False, False),
        ("Qualified", False, False),
        ("Quoted", False, False),
        ("Won", True, False),
        ("Lost", False, True),
    ]
    LeadStage.objects.exclude(name="New").delete()
    lead_stages_ensure(config)  # an instance's own pipeline is kept
    assert list(LeadStage.objects.values_list("name", flat=True)) == ["New"]
