"""Staff console and API: the delivery log (filters, detail, retry), per-event statistics, templates with a
test send, my preferences; fixed query counts."""

import datetime as dt
import re
import uuid

import pytest
from django.utils import timezone

from notifications import services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, Preference, QuietHours
from notifications.recipients import Recipient
from tests.notifications.email_support import NEWSLETTER, OUTAGE, contact, smtp_running
from tests.omni.factories import StaffFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
LOG = "/notifications/deliveries/"
STATS = "/notifications/statistics/"
TEMPLATES = "/notifications/templates/"
PREFERENCES = "/notifications/preferences/"
API = "/api/v1/notifications/deliveries/"
NUMBER_CELL = re.compile(r"<td\b[^>]*>\s*(\d[\d,]*)\s*</td>")  # a table cell that holds a number


@pytest.fixture
def smtp_server(settings):
    with smtp_running(settings) as server:
        yield server


def _deliveries(n, *, event=NEWSLETTER, channel=Channel.EMAIL, status=DeliveryStatus.SENT, created_at=None, **extra):
    now = created_at or timezone.now()
    rows = [
        Delivery(
            idempotency_key=uuid.uuid4().hex,
            event=event,
            channel=channel,
            status=status,
            recipient_key=f"crm.contact:{uuid.uuid4()}",
            recipient_name=f"Person {i}",
            address=f"person{i}@example.com",
            created_at=now - dt.timedelta(seconds=i),
            **extra,
        )
        for i in range(n)
    ]
    return Delivery.objects.bulk_create(rows)


def _table_rows(response) -> int:
    section = response.content.decode().split('id="delivery-table"', 1)[1]
    return section.count("<tr>") - 1  # minus the header row


# ---- access ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [LOG, STATS, TEMPLATES, PREFERENCES])
def test_customers_are_forbidden_and_anonymous_sent_to_login(client, client_as, customer, path):
    assert client_as(customer).get(path).status_code == 403
    response = client.get(path, HTTP_HOST="localhost")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_staff_without_the_permission_see_only_their_preferences(client_as):
    nobody = StaffFactory(email="nobody@example.com", roles=[])
    client = client_as(nobody)
    assert client.get(LOG).status_code == 403
    assert client.get(STATS).status_code == 403
    assert client.get(TEMPLATES).status_code == 403
    page = client.get(PREFERENCES)
    assert page.status_code == 200
    body = page.content.decode()
    assert f'href="{PREFERENCES}"' in body and f'href="{LOG}"' not in body  # the menu's Notifications link


# ---- delivery log ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [10, 200])
def test_delivery_log_queries_do_not_grow(client_as, agent, rows, django_assert_max_num_queries):
    _deliveries(rows)
    client = client_as(agent)
    with django_assert_max_num_queries(8):  # session, user, permissions (2), count, page, ...
        response = client.get(LOG)
    assert response.status_code == 200
    assert _table_rows(response) == min(rows, 50)
    assert 'aria-current="page"' in response.content.decode()


def test_delivery_log_filters(client_as, agent):
    today = timezone.now()
    _deliveries(3, status=DeliveryStatus.FAILED, reason="recipient refused")
    _deliveries(2, event=OUTAGE, channel=Channel.SMS, status=DeliveryStatus.QUEUED)
    old = _deliveries(1, created_at=today - dt.timedelta(days=10))
    special = _deliveries(1, status=DeliveryStatus.SUPPRESSED)[0]
    Delivery.objects.filter(pk=special.pk).update(recipient_name="Zainab Bello", address="zainab@example.com")
    client = client_as(agent)

    def count(**params):
        response = client.get(LOG, params)
        assert response.status_code == 200, response.content
        return _table_rows(response)

    assert count() == 7
    assert count(status="failed") == 3
    assert count(status=["failed", "queued"]) == 5
    assert count(event=OUTAGE) == 2
    assert count(channel="sms") == 2
    assert count(q="zainab") == 1
    assert count(q="ZAINAB@example.com") == 1
    assert count(q=special.recipient_key) == 1
    day = (today - dt.timedelta(days=10)).date().isoformat()
    assert count(date_from=day, date_to=day) == 1
    assert count(date_from=today.date().isoformat()) == 6
    assert old[0].pk  # the old one is only in the dated search


def test_delivery_log_bad_filters_are_a_4xx_naming_the_field(client_as, agent):
    client = client_as(agent)
    response = client.get(LOG, {"status": "lost", "date_from": "2025-13-45"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "status:" in body and "date_from:" in body
    assert client.get(LOG, {"date_from": "2025-03-02", "date_to": "2025-03-01"}, **HX).status_code == 422


def test_delivery_log_htmx_gets_the_table_only(client_as, agent):
    _deliveries(2)
    response = client_as(agent).get(LOG, {"status": "sent"}, **HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="delivery-table"')
    assert "<html" not in body


def test_delivery_detail_shows_the_attempts_and_content(client_as, agent, smtp_server):
    smtp_server.data_replies = ["451 4.3.0 Greylisted"]
    t0 = timezone.now()
    (delivery,) = services.notify(NEWSLETTER, [contact()], {"title": "T <b>", "body": "B", "account": {}}, now=t0)
    services.deliveries_send([delivery.pk], now=t0)
    delivery.refresh_from_db()
    services.deliveries_send([delivery.pk], now=delivery.scheduled_for)
    response = client_as(agent).get(f"{LOG}{delivery.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    attempts = re.search(r'<ol [^>]*id="delivery-attempts">(.*?)</ol>', body, re.S).group(1)
    assert attempts.count("<li>") == 2
    assert "451 4.3.0 Greylisted" in attempts and "sent: 250" in attempts
    # The HTML part in a sandboxed frame: the payload escaped once by the template, once more into srcdoc.
    assert "<iframe sandbox" in body and "&lt;h1&gt;T &amp;lt;b&amp;gt;&lt;/h1&gt;" in body
    assert client_as(agent).get(f"{LOG}{uuid.uuid4()}/").status_code == 404


def test_retry_needs_the_change_permission_and_requeues_a_failed_delivery(client_as, agent, admin_user):
    (failed,) = _deliveries(1, status=DeliveryStatus.FAILED, attempts=6)
    assert client_as(agent).post(f"{LOG}{failed.pk}/retry/").status_code == 403
    response = client_as(admin_user).post(f"{LOG}{failed.pk}/retry/", follow=True)
    assert "queued to be sent again" in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.max_attempts) == (DeliveryStatus.QUEUED, 12)
    again = client_as(admin_user).post(f"{LOG}{failed.pk}/retry/", follow=True)
    assert "A queued delivery cannot be sent again; only failed ones can." in again.content.decode()


# ---- statistics --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [10, 200])
def test_statistics_is_one_group_by_and_counts_per_status(client_as, agent, rows, django_assert_max_num_queries):
    _deliveries(rows, status=DeliveryStatus.SENT)
    _deliveries(rows // 2, status=DeliveryStatus.FAILED)
    _deliveries(3, event=OUTAGE, channel=Channel.SMS, status=DeliveryStatus.DELIVERED)
    client = client_as(agent)
    with django_assert_max_num_queries(6) as captured:
        response = client.get(STATS)
    grouped = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"]]
    assert len(grouped) == 1
    body = response.content.decode()
    newsletter_row = re.search(rf'<tr data-event="{NEWSLETTER}">(.*?)</tr>', body, re.S).group(1)
    cells = NUMBER_CELL.findall(newsletter_row)
    # queued, sending, sent, delivered, failed, suppressed, total
    assert [int(c.replace(",", "")) for c in cells] == [0, 0, rows, 0, rows // 2, 0, rows + rows // 2]
    assert newsletter_row.count("<rect ") == 2  # a sent and a failed segment
    outage_row = re.search(rf'<tr data-event="{OUTAGE}">(.*?)</tr>', body, re.S).group(1)
    assert 'aria-label="Delivered 3"' in outage_row
    # The busiest event first, with the longest bar.
    assert body.index(f'data-event="{NEWSLETTER}"') < body.index(f'data-event="{OUTAGE}"')


def test_statistics_bars_are_shares_of_the_busiest_event(client_as, agent):
    _deliveries(30, status=DeliveryStatus.SENT)
    _deliveries(10, status=DeliveryStatus.FAILED)
    _deliveries(20, event=OUTAGE, status=DeliveryStatus.DELIVERED)
    body = client_as(agent).get(STATS).content.decode()
    rects = re.findall(r'<rect x="([\d.]+)" y="0" width="([\d.]+)" height="10" fill="(#\w+)"', body)
    assert rects == [("0.000", "75.000", "#2563eb"), ("75.000", "25.000", "#dc2626"), ("0.000", "50.000", "#059669")]


def test_statistics_filters_by_event_channel_and_date(client_as, agent):
    _deliveries(4)
    _deliveries(2, event=OUTAGE, channel=Channel.SMS)
    _deliveries(5, created_at=timezone.now() - dt.timedelta(days=40))
    client = client_as(agent)
    body = client.get(STATS, {"channel": "sms"}).content.decode()
    assert f'data-event="{OUTAGE}"' in body and f'data-event="{NEWSLETTER}"' not in body
    partial = client.get(STATS, {"date_from": timezone.now().date().isoformat()}, **HX).content.decode()
    assert partial.lstrip().startswith('<div id="statistics-panel"')
    row = re.search(rf'<tr data-event="{NEWSLETTER}">(.*?)</tr>', partial, re.S).group(1)
    assert NUMBER_CELL.findall(row)[-1] == "4"  # the total


def test_admin_statistics_page(client_as, admin_user):
    _deliveries(3, status=DeliveryStatus.FAILED)
    client = client_as(admin_user)
    response = client.get("/admin/notifications/delivery/statistics/")
    assert response.status_code == 200
    assert f'data-event="{NEWSLETTER}"' in response.content.decode()
    changelist = client.get("/admin/notifications/delivery/", {"status__exact": "failed"})
    assert changelist.status_code == 200
    assert "/admin/notifications/delivery/statistics/" in changelist.content.decode()


@pytest.mark.parametrize("rows", [10, 200])
def test_admin_delivery_log_queries_do_not_grow(client_as, admin_user, rows, django_assert_max_num_queries):
    _deliveries(rows)
    client = client_as(admin_user)
    with django_assert_max_num_queries(10):
        response = client.get("/admin/notifications/delivery/", {"q": "example.com"})
    assert response.status_code == 200


# ---- API -----------------------------------------------------------------------------------------------------------


def test_api_lists_filters_and_counts(api_as, agent, customer):
    _deliveries(3, status=DeliveryStatus.FAILED)
    _deliveries(2, event=OUTAGE, channel=Channel.SMS)
    api = api_as(agent)
    body = api.get(API, {"status": "failed"}).json()
    assert (len(body["results"]), body["next"], "count" in body) == (3, None, False)
    assert set(body["results"][0]) >= {"id", "event", "channel", "status", "attempts", "recipient_key"}
    assert "body_text" not in body["results"][0]
    detail = api.get(f"{API}{body['results'][0]['id']}/").json()
    assert detail["provider_response"] == ""  # made without a send: no attempt logged
    stats = api.get(f"{API}stats/").json()
    assert {row["event"]: row["counts"]["failed"] for row in stats} == {NEWSLETTER: 3, OUTAGE: 0}
    bad = api.get(API, {"status": "lost"})
    assert bad.status_code == 400 and "status" in bad.json()["fields"]
    # A customer sees no deliveries at all: the delivery log is for staff.
    assert api_as(customer).get(API).status_code == 403


def test_api_retry(api_as, agent, admin_user):
    (failed,) = _deliveries(1, status=DeliveryStatus.FAILED)
    assert api_as(agent).post(f"{API}{failed.pk}/retry/").status_code == 403
    response = api_as(admin_user).post(f"{API}{failed.pk}/retry/")
    assert response.status_code == 200 and response.json()["status"] == "queued"
    conflict = api_as(admin_user).post(f"{API}{failed.pk}/retry/")
    assert conflict.status_code == 409 and "status" in conflict.json()["fields"]


@pytest.mark.parametrize("rows", [10, 200])
def test_api_list_queries_do_not_grow(api_as, agent, rows, django_assert_max_num_queries):
    _deliveries(rows)
    api = api_as(agent)
    with django_assert_max_num_queries(6):
        response = api.get(API, {"limit": 500})
    assert len(response.json()["results"]) == rows


# ---- templates ---------------------------------------------------------------------------------------------------


def test_templates_page_lists_each_event_and_channel_with_a_test_send(client_as, admin_user, smtp_server):
    client = client_as(admin_user)
    page = client.get(TEMPLATES)
    body = page.content.decode()
    assert page.status_code == 200
    assert f'<input type="hidden" name="event" value="{NEWSLETTER}">' in body
    assert f"/admin/notifications/template/add/?event={NEWSLETTER}&amp;channel=email" in body
    response = client.post(
        f"{TEMPLATES}test/", {"event": NEWSLETTER, "channel": "email", "target": "test-result-3"}, **HX
    )
    assert response.status_code == 200
    assert (
        'id="test-result-3"' in response.content.decode() and "Sent to admin@example.com." in response.content.decode()
    )
    (message,) = smtp_server.messages
    assert message["Subject"] == "News: title"
    # Without htmx: a message on the page it came from.
    follow = client.post(f"{TEMPLATES}test/", {"event": NEWSLETTER, "channel": "email"}, follow=True)
    assert "Test sent to admin@example.com." in follow.content.decode()
    bad = client.post(f"{TEMPLATES}test/", {"event": NEWSLETTER, "channel": "sms"}, **HX)
    assert bad.status_code == 422 and "has no sms template" in bad.content.decode()


def test_agents_see_templates_only_with_the_permission(client_as, agent):
    assert client_as(agent).post(f"{TEMPLATES}test/", {"event": NEWSLETTER, "channel": "email"}).status_code == 403


# ---- my preferences ------------------------------------------------------------------------------------------------


def test_preferences_page_shows_my_choices_with_mandatory_events_locked(
    client_as, agent, django_assert_max_num_queries
):
    key = Recipient.for_user(agent).key
    services.preference_set(recipient_key=key, event=NEWSLETTER, channel=Channel.EMAIL, enabled=False)
    client = client_as(agent)
    with django_assert_max_num_queries(9):
        response = client.get(PREFERENCES)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<h1") == 1
    assert re.search(rf'value="{NEWSLETTER}\|email" id="[^"]+">', body)  # unchecked
    assert re.search(rf'value="{NEWSLETTER}\|inapp" id="[^"]+">', body)  # an opt-in, off by default
    assert re.search(rf'value="{OUTAGE}\|email" id="[^"]+" checked disabled', body)
    assert re.search(r'value="crm.account.created\|inapp" id="[^"]+">', body)  # followed only when ticked


def test_saving_preferences_and_quiet_hours_then_notify_follows_them(client_as, agent):
    client = client_as(agent)
    key = Recipient.for_user(agent).key
    response = client.post(
        PREFERENCES,
        {
            # Newsletter: email off, in-app on; two account events followed in-app; SMS muted everywhere.
            "on": [f"{NEWSLETTER}|inapp", "crm.account.created|inapp", "crm.account.updated|inapp"],
            "channel_on": ["email", "push", "inapp"],
            "quiet_enabled": "on",
            "quiet_start": "21:30",
            "quiet_end": "06:00",
            "quiet_time_zone": "Africa/Lagos",
        },
    )
    assert response.status_code == 302
    assert QuietHours.objects.get(recipient_key=key).start == dt.time(21, 30)
    stored = set(Preference.objects.filter(recipient_key=key).values_list("event", "channel", "enabled"))
    assert {(NEWSLETTER, "email", False), (NEWSLETTER, "inapp", True), ("*", "sms", False)} <= stored
    assert {("crm.account.created", "inapp", True), ("crm.account.updated", "inapp", True)} <= stored
    assert not any(event == "crm.account.deleted" for event, _c, _e in stored)  # not followed: the default
    deliveries = {d.channel: d for d in services.notify(NEWSLETTER, [Recipient.for_user(agent)], {"title": "T"})}
    assert deliveries[Channel.EMAIL].status == DeliveryStatus.SUPPRESSED
    assert deliveries[Channel.INAPP].status == DeliveryStatus.QUEUED

    # Switching quiet hours off clears them; the page shows what is stored.
    client.post(PREFERENCES, {"on": [f"{NEWSLETTER}|email"], "channel_on": ["email", "sms", "push", "inapp"]})
    assert not QuietHours.objects.filter(recipient_key=key).exists()
    assert not Preference.objects.filter(recipient_key=key, event="*").exists()


def test_invalid_quiet_hours_are_a_422_that_keeps_what_was_ticked(client_as, agent):
    response = client_as(agent).post(
        PREFERENCES,
        {"on": [f"{NEWSLETTER}|inapp"], "channel_on": ["email"], "quiet_enabled": "on", "quiet_start": "22:00",
         "quiet_end": "22:00", "quiet_time_zone": "Nowhere/Atlantis"},
    )  # fmt: skip
    assert response.status_code == 422
    body = response.content.decode()
    assert "must end at another time" in body
    assert "Select a valid choice" in body
    assert re.search(rf'value="{NEWSLETTER}\|inapp" id="[^"]+" checked>', body)
    assert not Preference.objects.exists() and not QuietHours.objects.exists()
