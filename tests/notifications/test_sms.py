"""SMS end to end: notify() -> a local server speaking Twilio's Messages API -> the signed status callback.
Also: retries on 429/5xx and timeouts, failures on 4xx and invalid numbers, quiet hours, opt-outs, the console
provider."""

import datetime as dt
import logging
from urllib.parse import urlsplit

import orjson
import pytest
from django.test import Client
from django.utils import timezone

from notifications import services
from notifications.callbacks import twilio_signature
from notifications.channels import sms
from notifications.channels.base import PermanentError, TransientError
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, QuietHours
from notifications.recipients import Recipient
from tests.notifications.sms_support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CONTEXT,
    EVENT,
    FROM,
    GOOD_NUMBER,
    Answer,
    TwilioServer,
    twilio_configured,
)

pytestmark = pytest.mark.django_db
CALLBACK_PATH = "/notifications/sms/status/"


@pytest.fixture
def twilio(settings):
    with twilio_configured(settings) as server:
        yield server


PERSON = Recipient(key="crm.contact:ngozi", name="Ngozi Eze", phone=GOOD_NUMBER)


def _notify(recipient=PERSON, **kwargs) -> Delivery:
    (delivery,) = services.notify(EVENT, [recipient], CONTEXT, channels=[Channel.SMS], **kwargs)
    return delivery


def _send(delivery, *, now=None) -> Delivery:
    services.deliveries_send([delivery.pk], now=now)
    delivery.refresh_from_db()
    return delivery


def _callback(fields: dict, *, url=None, token=AUTH_TOKEN, signature=None, signed_url=None):
    """POST a status report as Twilio does: form fields, signed over the StatusCallback URL."""
    url = url or sms.status_callback_url()
    if signature is None:
        signature = twilio_signature(signed_url or url, {k: [v] for k, v in fields.items()}, token)
    parts = urlsplit(url)
    client = Client(HTTP_HOST=parts.netloc)
    path = f"{parts.path}?{parts.query}" if parts.query else parts.path
    return client.post(path, fields, HTTP_X_TWILIO_SIGNATURE=signature)


def test_sms_goes_to_the_twilio_api_and_the_status_callback_marks_it_delivered(twilio, settings):
    # Deployed behind a TLS proxy: Twilio signs https://omni.example.com/..., Django sees plain http.
    settings.OMNI_BASE_URL = "https://omni.example.com"
    settings.ALLOWED_HOSTS = ["omni.example.com"]
    delivery = _send(_notify())

    assert delivery.status == DeliveryStatus.SENT, delivery.reason
    (request,) = twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.basic_auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form == {
        "To": [GOOD_NUMBER],
        "From": [FROM],
        "Body": ["Outage in Lekki Phase 1. Back by 18:00."],
        "StatusCallback": [f"https://omni.example.com{CALLBACK_PATH}?delivery={delivery.pk}"],
    }
    assert delivery.provider_message_id == "SM" + "1".zfill(32)
    assert delivery.body_text == "Outage in Lekki Phase 1. Back by 18:00."

    # Twilio reports progress, then delivery, to the StatusCallback it was given.
    callback_url = request.form["StatusCallback"][0]
    sid = delivery.provider_message_id
    for step in ("queued", "sent"):
        response = _callback({"MessageSid": sid, "MessageStatus": step, "AccountSid": ACCOUNT_SID}, url=callback_url)
        assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.delivered_at is None

    response = _callback({"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID}, url=callback_url)
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.delivered_at is not None
    first, report = delivery.attempt_log.all()  # the send attempt, then the report
    assert (first.number, first.outcome) == (1, "sent")
    assert (report.number, report.outcome) == (None, "report delivered")
    assert orjson.loads(report.answer) == {"MessageStatus": "delivered"}
    assert report.line.endswith(' report delivered: {"MessageStatus":"delivered"}')


@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_a_failed_delivery_report_fails_the_delivery_with_the_error_code(twilio, status):
    delivery = _send(_notify())
    response = _callback({"MessageSid": delivery.provider_message_id, "MessageStatus": status, "ErrorCode": "30003"})
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.reason == "the provider reported a failure"
    report = delivery.attempt_log.last()
    assert (report.number, report.outcome) == (None, "report failed")
    assert orjson.loads(report.answer) == {"MessageStatus": status, "ErrorCode": "30003"}


def test_a_report_with_a_bad_or_missing_signature_is_refused_and_changes_nothing(twilio):
    delivery = _send(_notify())
    fields = {"MessageSid": delivery.provider_message_id, "MessageStatus": "delivered"}
    forged = twilio_signature(sms.status_callback_url(), {k: [v] for k, v in fields.items()}, "not-the-token")
    assert _callback(fields, signature=forged).status_code == 403
    assert _callback(fields, signature="").status_code == 403
    assert _callback(fields, signature="sïgnature").status_code == 403  # not ASCII: refused, not a 500
    # Signed for other fields (a replayed "failed" report edited to say delivered).
    other = twilio_signature(
        sms.status_callback_url(), {"MessageSid": [fields["MessageSid"]], "MessageStatus": ["failed"]}, AUTH_TOKEN
    )
    assert _callback(fields, signature=other).status_code == 403
    # Signed for another site's URL.
    assert _callback(fields, signed_url="https://elsewhere.example/notifications/sms/status/").status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_reports_are_refused_when_no_auth_token_is_configured(twilio, settings):
    delivery = _send(_notify())
    settings.SMS_AUTH_TOKEN = ""
    response = _callback({"MessageSid": delivery.provider_message_id, "MessageStatus": "delivered"}, token="")
    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_a_report_that_beats_the_recording_of_the_send_is_kept(twilio, monkeypatch):
    """Twilio may report delivery before the worker has written the message's sid: the callback URL carries
    the delivery's id, and the worker's record then keeps the report's status."""
    real = sms.provider

    def reporting_at_once():
        provider = real()

        class Racing:
            def send(self, to, body, *, reference=""):
                sid = provider.send(to, body, reference=reference)
                callback_url = twilio.requests[-1].form["StatusCallback"][0]
                report = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID}
                assert _callback(report, url=callback_url).status_code == 200
                return sid

        return Racing()

    monkeypatch.setattr(sms, "provider", reporting_at_once)
    first, second = services.notify(
        EVENT, [PERSON, Recipient(key="crm.contact:obi", name="Obi", phone="+2348039876543")], CONTEXT,
        channels=[Channel.SMS],
    )  # fmt: skip
    assert services.deliveries_send([first.pk, second.pk]) == 2
    for delivery in (first, second):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.DELIVERED and delivery.delivered_at is not None
        assert delivery.provider_message_id.startswith("SM") and delivery.sent_at is not None
        assert delivery.body_text == "Outage in Lekki Phase 1. Back by 18:00." and delivery.locked_until is None
        assert "report delivered" in delivery.attempt_log_text
    assert first.provider_message_id != second.provider_message_id


def test_a_report_naming_another_delivery_with_a_sid_changes_nothing(twilio):
    delivery, other = (_send(_notify()), _send(_notify(Recipient(key="crm.contact:x", name="X", phone=GOOD_NUMBER))))
    # Signed, but for a sid that is not the one `delivery` recorded: the delivery id alone does not match it.
    url = sms.status_callback_url(str(delivery.pk))
    assert _callback({"MessageSid": other.provider_message_id, "MessageStatus": "failed"}, url=url).status_code == 200
    delivery.refresh_from_db()
    other.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert other.status == DeliveryStatus.FAILED  # the sid's own delivery


def test_a_report_for_an_unknown_sid_is_accepted_and_changes_nothing(twilio):
    delivery = _send(_notify())
    response = _callback({"MessageSid": "SMunknown", "MessageStatus": "delivered"})
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert not Delivery.objects.filter(status=DeliveryStatus.DELIVERED).exists()


def test_the_callback_takes_only_post():
    assert Client(HTTP_HOST="localhost").get(CALLBACK_PATH).status_code == 405


@pytest.mark.parametrize("status", [503, 500, 429])
def test_a_busy_provider_is_retried_later_and_the_message_then_goes(twilio, status):
    twilio.answer(TwilioServer.error(status, 20429 if status == 429 else 20500, "Try later"))
    now = timezone.now()
    delivery = _send(_notify(), now=now)

    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.attempts == 1
    assert delivery.scheduled_for > now
    assert str(status) in delivery.reason
    assert len(twilio.requests) == 1
    assert _send(delivery, now=now).attempts == 1  # not due yet: nothing is sent
    assert len(twilio.requests) == 1

    delivery = _send(delivery, now=delivery.scheduled_for + dt.timedelta(seconds=1))
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 2
    assert len(twilio.requests) == 2
    assert delivery.provider_message_id.startswith("SM")


def test_a_refused_message_fails_at_once_with_the_providers_reason(twilio):
    twilio.answer(TwilioServer.error(400, 21610, "Attempt to send to unsubscribed recipient"))
    delivery = _send(_notify())
    assert delivery.status == DeliveryStatus.FAILED
    assert "21610" in delivery.reason and "unsubscribed recipient" in delivery.reason
    assert delivery.scheduled_for is None
    assert len(twilio.requests) == 1
    assert _send(delivery).status == DeliveryStatus.FAILED
    assert len(twilio.requests) == 1


def test_an_answer_without_a_sid_fails_rather_than_risk_sending_twice(twilio):
    twilio.answer(Answer(201, b'{"status": "queued"}', {"Content-Type": "application/json"}))
    delivery = _send(_notify())
    assert delivery.status == DeliveryStatus.FAILED
    assert "sid" in delivery.reason


@pytest.mark.parametrize("number", ["+123", "08031234567", "not a number", "+2340000000000"])
def test_an_invalid_number_fails_without_a_request(twilio, number):
    delivery = _send(_notify(Recipient(key="crm.contact:x", phone=number)))
    assert delivery.status == DeliveryStatus.FAILED
    assert "invalid phone number" in delivery.reason
    assert twilio.requests == []


def test_a_number_is_sent_in_e164_form(twilio):
    delivery = _send(_notify(Recipient(key="crm.contact:y", phone="+234 803 123 4567")))
    assert delivery.status == DeliveryStatus.SENT
    assert twilio.requests[0].form["To"] == [GOOD_NUMBER]


def test_a_recipient_without_a_phone_is_suppressed(twilio):
    delivery = _notify(Recipient(key="crm.contact:z", email="z@example.com"))
    assert delivery.status == DeliveryStatus.SUPPRESSED
    assert delivery.reason == "no sms address"
    assert _send(delivery).status == DeliveryStatus.SUPPRESSED
    assert twilio.requests == []


def test_an_opted_out_contact_gets_nothing_and_the_delivery_is_suppressed(twilio):
    services.preference_set(recipient_key=PERSON.key, event=EVENT, channel=Channel.SMS, enabled=False)
    delivery = _send(_notify())
    assert delivery.status == DeliveryStatus.SUPPRESSED
    assert delivery.reason == "opted out"
    assert twilio.requests == []


def test_quiet_hours_defer_an_sms_to_the_end_of_the_window(twilio):
    QuietHours.objects.create(
        recipient_key=PERSON.key, start=dt.time(22, 0), end=dt.time(7, 0), time_zone="Africa/Lagos"
    )
    lagos = dt.timezone(dt.timedelta(hours=1))
    at_night = dt.datetime(2026, 3, 10, 23, 30, tzinfo=lagos)
    delivery = _notify(now=at_night)
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.scheduled_for == dt.datetime(2026, 3, 11, 7, 0, tzinfo=lagos)

    assert _send(delivery, now=at_night + dt.timedelta(hours=3)).status == DeliveryStatus.QUEUED
    assert twilio.requests == []
    delivery = _send(delivery, now=dt.datetime(2026, 3, 11, 7, 0, 1, tzinfo=lagos))
    assert delivery.status == DeliveryStatus.SENT
    assert len(twilio.requests) == 1


def test_twilio_without_credentials_fails_with_a_clear_reason(twilio, settings):
    settings.SMS_AUTH_TOKEN = ""
    delivery = _send(_notify())
    assert delivery.status == DeliveryStatus.FAILED
    assert "SMS is not configured" in delivery.reason
    assert twilio.requests == []


def test_an_unknown_provider_fails_with_a_clear_reason(settings):
    settings.SMS_PROVIDER = "carrier-pigeon"
    delivery = _send(_notify())
    assert delivery.status == DeliveryStatus.FAILED
    assert "unknown SMS_PROVIDER" in delivery.reason


def test_a_messaging_service_sid_is_sent_as_such(twilio, settings):
    settings.SMS_FROM = "MG0123456789abcdef0123456789abcdef"
    assert _send(_notify()).status == DeliveryStatus.SENT
    form = twilio.requests[0].form
    assert form["MessagingServiceSid"] == ["MG0123456789abcdef0123456789abcdef"] and "From" not in form


# ---- the provider on its own: timeouts and refused connections ----------------------------------------------


def _provider(url: str, timeout: float = 5.0) -> sms.TwilioProvider:
    return sms.TwilioProvider(api_url=url, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sender=FROM, timeout=timeout)


def test_the_provider_returns_the_message_sid():
    with TwilioServer() as server:
        assert _provider(server.url).send(GOOD_NUMBER, "Hello") == "SM" + "1".zfill(32)


def test_a_provider_that_does_not_answer_in_time_is_transient():
    with TwilioServer() as server:
        server.answer(Answer(201, b'{"sid": "SMlate"}', delay=1.5))
        with pytest.raises(TransientError, match="Timeout"):
            _provider(server.url, timeout=0.3).send(GOOD_NUMBER, "Hello")


def test_a_provider_that_refuses_connections_is_transient():
    with TwilioServer() as server:
        url = server.url
    with pytest.raises(TransientError, match="ConnectError"):
        _provider(url).send(GOOD_NUMBER, "Hello")


def test_a_401_from_the_provider_is_permanent():
    with TwilioServer() as server:
        server.answer(TwilioServer.error(401, 20003, "Authenticate"))
        with pytest.raises(PermanentError, match="20003 Authenticate"):
            _provider(server.url).send(GOOD_NUMBER, "Hello")


# ---- the console provider ------------------------------------------------------------------------------------


def test_the_console_provider_logs_the_message(settings, caplog):
    settings.SMS_PROVIDER = "console"
    with caplog.at_level(logging.INFO, logger="notifications.channels.sms"):
        delivery = _send(_notify())
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.provider_message_id.startswith("console-")
    (record,) = [r for r in caplog.records if r.name == "notifications.channels.sms"]
    assert GOOD_NUMBER in record.getMessage()
    assert "Outage in Lekki Phase 1. Back by 18:00." in record.getMessage()
    assert delivery.provider_message_id in record.getMessage()
