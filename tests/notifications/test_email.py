"""Email to a real SMTP server (aiosmtpd): headers, both parts, the unsubscribe link, retries with backoff,
permanent refusals, idempotency and one connection per batch."""

import socket
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from notifications import services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, Preference
from tests.notifications.email_support import (
    NEWSLETTER,
    OUTAGE,
    contact,
    free_port,
    parts,
    smtp_running,
    unsubscribe_link,
    unsubscribe_path,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_server(settings):
    with smtp_running(settings) as server:
        yield server


NEWS = {"title": "Fibre in Lekki", "body": "We now serve <your> street & more.", "account": {"number": "ACC-1"}}


def _send(deliveries, now=None) -> int:
    return services.deliveries_send([d.pk for d in deliveries], now=now)


def test_email_has_headers_both_parts_and_a_working_unsubscribe_link(smtp_server):
    ada = contact()
    (delivery,) = services.notify(NEWSLETTER, [ada], NEWS, url="https://omni.example.com/news/1")
    assert _send([delivery]) == 1

    (message,) = smtp_server.messages
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["To"] == "Ada Obi <ada@example.com>"
    assert message["Subject"] == "News: Fibre in Lekki"
    assert message["Message-ID"] == f"<{delivery.pk}@omni.localhost>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert "We now serve <your> street & more." in text  # the text part is not HTML: nothing escaped
    assert "We now serve &lt;your&gt; street &amp; more." in html  # the HTML part escapes every value
    assert "<h1>Fibre in Lekki</h1>" in html
    link = unsubscribe_link(message)
    assert link.startswith(settings.OMNI_BASE_URL + "/notifications/unsubscribe/")
    assert link in text  # both parts end with the link
    assert f'href="{link}"' in html

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 1
    assert delivery.subject == "News: Fibre in Lekki"
    assert "<h1>Fibre in Lekki</h1>" in delivery.body_html and link in delivery.body_text  # what was sent
    assert delivery.provider_message_id == message["Message-ID"]
    (attempt,) = delivery.attempt_log.all()
    assert (attempt.number, attempt.outcome) == (1, "sent") and attempt.answer.startswith("250")

    # The link works without signing in: GET asks, POST unsubscribes.
    host, path = unsubscribe_path(message)
    browser = Client(HTTP_HOST=host)
    page = browser.get(path)
    assert page.status_code == 200
    assert "Stop receiving" in page.content.decode()
    assert not Preference.objects.filter(recipient_key=ada.key).exists()  # a link scanner's GET changes nothing
    done = browser.post(path, {"scope": "event"})
    assert done.status_code == 200
    assert "you will no longer receive" in done.content.decode()
    assert Preference.objects.get(recipient_key=ada.key, event=NEWSLETTER, channel=Channel.EMAIL).enabled is False

    # The next newsletter to Ada is recorded as suppressed and nothing reaches the server.
    (again,) = services.notify(NEWSLETTER, [ada], {**NEWS, "title": "Second issue"})
    assert again.status == DeliveryStatus.SUPPRESSED
    assert again.reason == "opted out"
    assert _send([again]) == 0
    assert len(smtp_server.messages) == 1
    assert smtp_server.data_commands == 1


def test_a_text_only_template_still_sends_an_html_part(smtp_server):
    (delivery,) = services.notify(
        "crm.account.created",
        [contact(name="Bola")],
        {"number": "ACC-000009", "name": "Bola & Sons"},
        channels=[Channel.EMAIL],
        url="https://omni.example.com/accounts/9/",
    )
    _send([delivery])
    (message,) = smtp_server.messages
    text, html = parts(message)
    assert message["Subject"] == "Account ACC-000009 created"
    assert "Account ACC-000009 (Bola & Sons) was created." in text
    assert "Account ACC-000009 (Bola &amp; Sons) was created." in html
    assert '<a href="https://omni.example.com/accounts/9/"' in html  # links made clickable
    assert html.lstrip().startswith("<!DOCTYPE html>")


def test_mandatory_emails_have_no_unsubscribe_link_and_ignore_opt_outs(smtp_server):
    ada = contact()
    Preference.objects.create(recipient_key=ada.key, event="*", channel=Channel.EMAIL, enabled=False)
    (delivery,) = services.notify(OUTAGE, [ada], {"area": "Lekki", "eta": "18:00"}, channels=[Channel.EMAIL])
    assert delivery.status == DeliveryStatus.QUEUED
    _send([delivery])
    (message,) = smtp_server.messages
    assert message["Subject"] == "Outage in Lekki"
    assert message["List-Unsubscribe"] is None
    assert "unsubscribe" not in parts(message)[0].lower()


def test_a_transient_smtp_failure_is_retried_with_backoff_until_it_succeeds(smtp_server):
    smtp_server.data_replies = ["451 4.3.0 Greylisted, try again later", "452 4.3.1 Insufficient storage"]
    t0 = timezone.now()
    (delivery,) = services.notify(NEWSLETTER, [contact()], NEWS, now=t0)

    assert _send([delivery], now=t0) == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.attempts == 1
    assert delivery.reason == "message deferred"
    first_wait = delivery.scheduled_for - t0
    assert timedelta(seconds=24) <= first_wait <= timedelta(seconds=36)  # 30 s ± 20%
    # Not due yet: a scan or a repeated task sends nothing.
    assert delivery.pk not in services.deliveries_due(now=t0 + timedelta(seconds=20))
    assert _send([delivery], now=t0 + timedelta(seconds=20)) == 0
    assert smtp_server.data_commands == 1

    t1 = delivery.scheduled_for
    assert delivery.pk in services.deliveries_due(now=t1)
    assert _send([delivery], now=t1) == 0
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    second_wait = delivery.scheduled_for - t1
    assert timedelta(seconds=48) <= second_wait <= timedelta(seconds=72)  # doubled: 60 s ± 20%

    t2 = delivery.scheduled_for
    assert _send([delivery], now=t2) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 3
    assert delivery.sent_at == t2
    assert len(smtp_server.messages) == 1  # delivered exactly once
    log = list(delivery.attempt_log.all())
    assert [attempt.number for attempt in log] == [1, 2, 3]
    assert "451 4.3.0 Greylisted" in log[0].line
    assert "452 4.3.1 Insufficient storage" in log[1].line
    assert log[2].outcome == "sent" and log[2].answer.startswith("250")


def test_retries_stop_after_max_attempts(smtp_server):
    smtp_server.data_replies = ["451 4.3.0 Try again"] * 3
    (delivery,) = services.notify(NEWSLETTER, [contact()], NEWS)
    Delivery.objects.filter(pk=delivery.pk).update(max_attempts=3)
    now = timezone.now()
    for _ in range(3):
        _send([delivery], now=now)
        delivery.refresh_from_db()
        now = (delivery.scheduled_for or now) + timedelta(seconds=1)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 3
    assert "gave up after 3 attempts" in delivery.reason
    assert delivery.pk not in services.deliveries_due(now=now + timedelta(hours=2))
    assert smtp_server.messages == []


def test_a_refused_recipient_fails_at_once(smtp_server):
    smtp_server.refuse = {"nobody@example.com"}
    (delivery,) = services.notify(NEWSLETTER, [contact(email_address="nobody@example.com")], NEWS)
    _send([delivery])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.reason == "recipient refused"
    assert "550 5.1.1 No such user here" in delivery.attempt_log_text
    assert delivery.scheduled_for is None
    assert smtp_server.messages == []


def test_a_permanent_refusal_of_the_message_fails_at_once(smtp_server):
    smtp_server.data_replies = ["554 5.7.1 Message rejected as spam"]
    (delivery,) = services.notify(NEWSLETTER, [contact()], NEWS)
    _send([delivery])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason, delivery.attempts) == (DeliveryStatus.FAILED, "message refused", 1)
    assert "554 5.7.1 Message rejected as spam" in delivery.attempt_log_text


def test_a_server_that_is_down_is_a_transient_failure(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nobody listens
    t0 = timezone.now()
    (delivery,) = services.notify(NEWSLETTER, [contact()], NEWS, now=t0)
    _send([delivery], now=t0)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert "ConnectionRefusedError" in delivery.reason
    assert delivery.scheduled_for > t0


def test_same_idempotency_key_twice_makes_one_delivery_and_one_email(smtp_server):
    ada = contact()
    first = services.notify(NEWSLETTER, [ada], NEWS, idempotency_key="newsletter:42")
    second = services.notify(NEWSLETTER, [ada], {**NEWS, "title": "changed"}, idempotency_key="newsletter:42")
    assert [d.pk for d in first] == [d.pk for d in second]
    assert Delivery.objects.filter(recipient_key=ada.key).count() == 1
    assert _send(first) == 1
    assert _send(second) == 0  # a retried task finds it sent
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["Subject"] == "News: Fibre in Lekki"


def test_one_batch_uses_one_smtp_connection(smtp_server):
    people = [contact(name=f"Person {i}", email_address=f"p{i}@example.com") for i in range(5)]
    deliveries = services.notify(NEWSLETTER, people, NEWS)
    assert _send(deliveries) == 5
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == [
        f"p{i}@example.com" for i in range(5)
    ]
    assert len(smtp_server.sessions) == 1


def test_a_failure_in_a_batch_does_not_stop_the_others(smtp_server):
    smtp_server.data_replies = ["451 4.3.0 Try again"]
    people = [contact(email_address=f"q{i}@example.com") for i in range(3)]
    deliveries = services.notify(NEWSLETTER, people, NEWS)
    assert _send(deliveries) == 2
    statuses = sorted(Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).values_list("status", flat=True))
    assert statuses == [DeliveryStatus.QUEUED, DeliveryStatus.SENT, DeliveryStatus.SENT]
    assert len(smtp_server.messages) == 2


def test_names_with_commas_and_quotes_are_one_recipient(smtp_server):
    (delivery,) = services.notify(NEWSLETTER, [contact(name='Obi, Ada "Ace"')], NEWS)
    _send([delivery])
    (message,) = smtp_server.messages
    (address,) = message["To"].addresses
    assert (address.display_name, address.addr_spec) == ('Obi, Ada "Ace"', "ada@example.com")


def test_a_server_that_never_answers_times_out_as_a_transient_failure(settings, monkeypatch):
    from notifications.channels import email as email_channel

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections, never says hello
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", silent.getsockname()[1], None
    monkeypatch.setattr(email_channel, "DEFAULT_TIMEOUT", 1)
    (delivery,) = services.notify(NEWSLETTER, [contact()], NEWS)
    started = time.monotonic()
    try:
        _send([delivery])
    finally:
        silent.close()
    assert time.monotonic() - started < 10
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert "timed out" in delivery.reason
