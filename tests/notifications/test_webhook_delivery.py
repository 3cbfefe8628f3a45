"""Outbound webhooks end to end: real HTTP to a local receiver that verifies every signature with the
`standardwebhooks` library; retries on the schedule as due rows; redelivery; secret rotation; disabling."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifications import services
from notifications.choices import Channel, WebhookMessageStatus
from notifications.events import WEBHOOK_ENDPOINT_DISABLED
from notifications.models import Delivery, WebhookAttempt, WebhookEndpoint, WebhookMessage
from notifications.services import webhook_sending, webhook_signing
from omni.exceptions import Conflict
from tests.notifications.webhook_support import Answer, Receiver
from tests.omni.factories import StaffFactory

SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # the receiver listens on 127.0.0.1
    settings.WEBHOOK_RETRY_SCHEDULE = SCHEDULE
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 10
    settings.WEBHOOK_SECRET_OVERLAP_HOURS = 24
    settings.WEBHOOK_TIMEOUT = 5.0


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def owner(db):
    return StaffFactory(email="integrations@example.com", roles=["Admin"])


@pytest.fixture
def endpoint(receiver, owner):
    endpoint = services.webhook_endpoint_create(url=receiver.url, events=["crm.account.created"], owner=owner)
    receiver.secrets.append(endpoint.secret)
    return endpoint


def _publish(event="crm.account.created", data=None, *, now):
    return services.webhook_publish(event=event, data=data or {"id": "a1", "name": "Acme"}, now=now)


def _attempts(message):
    return list(WebhookAttempt.objects.filter(message=message).order_by("number"))


# ---- signing and the body ----------------------------------------------------------------------------------


def test_a_message_arrives_signed_with_the_standard_headers_and_body(receiver, endpoint):
    now = timezone.now()
    [message] = _publish(data={"id": "a1", "name": "Acme", "tags": ["fiber"]}, now=now)
    assert services.webhook_messages_send([message.pk], now=now) == 1

    [got] = receiver.posts()
    assert got.verified == {endpoint.secret: True}
    assert got.headers["webhook-id"] == message.message_id
    assert got.headers["webhook-id"].startswith("msg_")
    assert abs(int(got.headers["webhook-timestamp"]) - int(timezone.now().timestamp())) <= 5
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["content-type"] == "application/json"
    assert got.payload == {
        "type": "crm.account.created",
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "data": {"id": "a1", "name": "Acme", "tags": ["fiber"]},
    }
    assert list(got.payload) == ["type", "timestamp", "data"]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.next_attempt_at) == (WebhookMessageStatus.SUCCEEDED, 1, None)
    assert message.succeeded_at == now
    [attempt] = _attempts(message)
    assert (attempt.number, attempt.status_code, attempt.succeeded, attempt.response_excerpt) == (1, 200, True, "ok")
    assert attempt.latency_ms is not None and attempt.latency_ms >= 0


def test_a_signature_from_another_secret_does_not_verify(receiver, endpoint):
    receiver.secrets.append(services.secret_generate())
    now = timezone.now()
    [message] = _publish(now=now)
    services.webhook_messages_send([message.pk], now=now)
    [got] = receiver.posts()
    assert got.verified[endpoint.secret] is True
    assert list(got.verified.values()).count(False) == 1  # a wrong secret really fails: the check is not vacuous


def test_the_signature_matches_the_specification_by_hand(endpoint):
    # The example of the Standard Webhooks specification (its test vector).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    signature = webhook_signing.signature(
        secret, message_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330, body=body
    )
    assert signature == expected


def test_only_subscribed_active_endpoints_get_a_message(receiver, owner, endpoint):
    everything = services.webhook_endpoint_create(url=receiver.url, events=["*"], owner=owner)
    contacts = services.webhook_endpoint_create(url=receiver.url, events=["crm.contact.created"], owner=owner)
    services.webhook_endpoint_create(url=receiver.url, events=["*"], owner=owner, is_active=False)
    messages = _publish(now=timezone.now())
    assert sorted(str(m.endpoint_id) for m in messages) == sorted([str(endpoint.pk), str(everything.pk)])
    assert not WebhookMessage.objects.filter(endpoint=contacts).exists()


# ---- retries: due rows, the schedule, exactly once ------------------------------------------------------------


def test_fails_twice_then_succeeds_arrives_once_as_success_with_three_attempts_logged(receiver, endpoint):
    receiver.answer(Answer(500, b"database down"), Answer(503, b"try later"))
    t0 = timezone.now()
    [message] = _publish(now=t0)

    assert services.webhook_messages_send([message.pk], now=t0) == 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == (WebhookMessageStatus.PENDING, 1)
    assert message.next_attempt_at == t0 + timedelta(seconds=5)
    assert services.webhook_dispatch_due(now=t0 + timedelta(seconds=4)) == []  # not due yet

    t1 = t0 + timedelta(seconds=5)
    due = services.webhook_dispatch_due(now=t1)
    assert due == [str(message.pk)]
    assert services.webhook_messages_send(due, now=t1) == 0
    message.refresh_from_db()
    assert message.next_attempt_at == t1 + timedelta(minutes=5)
    assert services.webhook_dispatch_due(now=t1 + timedelta(seconds=299)) == []

    t2 = t1 + timedelta(minutes=5)
    due = services.webhook_dispatch_due(now=t2)
    assert services.webhook_messages_send(due, now=t2) == 1
    assert services.webhook_dispatch_due(now=t2 + timedelta(days=2)) == []
    assert services.webhook_messages_send(due, now=t2 + timedelta(days=2)) == 0  # a repeated task sends nothing

    posts = receiver.posts()
    assert len(posts) == 3
    assert {p.headers["webhook-id"] for p in posts} == {message.message_id}  # the same id on every attempt
    assert all(p.verified == {endpoint.secret: True} for p in posts)
    assert [p.payload for p in posts] == [posts[0].payload] * 3
    message.refresh_from_db()
    assert (message.status, message.attempts, message.succeeded_at) == (WebhookMessageStatus.SUCCEEDED, 3, t2)
    log = _attempts(message)
    assert [(a.number, a.status_code, a.succeeded) for a in log] == [(1, 500, False), (2, 503, False), (3, 200, True)]
    assert [a.response_excerpt for a in log] == ["database down", "try later", "ok"]
    assert [a.error for a in log] == ["HTTP 500", "HTTP 503", ""]
    assert [a.created_at for a in log] == [t0, t1, t2]


def test_retries_follow_the_schedule_then_the_message_fails(receiver, endpoint):
    receiver.answer(*[Answer(500)] * 8)
    now = timezone.now()
    [message] = _publish(now=now)
    services.webhook_messages_send([message.pk], now=now)
    offsets = []
    for _ in SCHEDULE:
        message.refresh_from_db()
        offsets.append((message.next_attempt_at - now).total_seconds())
        now = message.next_attempt_at
        assert services.webhook_dispatch_due(now=now - timedelta(microseconds=1)) == []
        services.webhook_messages_send(services.webhook_dispatch_due(now=now), now=now)
    assert offsets == SCHEDULE
    message.refresh_from_db()
    assert (message.status, message.attempts, message.next_attempt_at) == (WebhookMessageStatus.FAILED, 8, None)
    assert len(receiver.posts()) == 8 == WebhookAttempt.objects.filter(message=message).count()
    assert services.webhook_dispatch_due(now=now + timedelta(days=30)) == []


def test_a_custom_schedule_is_used(settings, receiver, endpoint):
    settings.WEBHOOK_RETRY_SCHEDULE = [1, 2]
    receiver.answer(Answer(500), Answer(500), Answer(500))
    now = timezone.now()
    [message] = _publish(now=now)
    for delay in (0, 1, 2):
        now += timedelta(seconds=delay)
        services.webhook_messages_send([message.pk], now=now)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (WebhookMessageStatus.FAILED, 3)


def test_a_repeated_task_and_overlapping_scans_send_nothing_twice(receiver, endpoint):
    now = timezone.now()
    messages = [*_publish(now=now), *_publish(now=now), *_publish(now=now)]
    ids = [m.pk for m in messages]
    # Published messages are leased to their task: the scan leaves them alone until the lease passes.
    assert services.webhook_dispatch_due(now=now) == []
    lost = now + timedelta(seconds=webhook_sending.QUEUE_LEASE_SECONDS)
    first = services.webhook_dispatch_due(now=lost)
    assert sorted(first) == sorted(str(pk) for pk in ids)  # the task was lost: queued again
    assert services.webhook_dispatch_due(now=lost) == []  # an overlapping scan queues nothing twice
    assert services.webhook_messages_send(ids, now=lost) == 3
    assert services.webhook_messages_send(ids, now=lost) == 0
    assert services.webhook_messages_send(first, now=lost) == 0
    assert len(receiver.posts()) == 3
    assert WebhookAttempt.objects.filter(message__in=ids).count() == 3


def test_a_claim_whose_worker_died_is_sent_again_with_the_same_webhook_id(receiver, endpoint):
    now = timezone.now()
    [message] = _publish(now=now)
    assert [m.pk for m in services.webhook_messages_claim([message.pk], now=now)] == [message.pk]  # then it dies
    assert services.webhook_messages_claim([message.pk], now=now) == []  # nobody else may take it meanwhile
    assert services.webhook_dispatch_due(now=now + timedelta(seconds=webhook_sending.CLAIM_SECONDS - 1)) == []
    later = now + timedelta(seconds=webhook_sending.CLAIM_SECONDS)
    assert services.webhook_dispatch_due(now=later) == [str(message.pk)]
    assert services.webhook_messages_send([message.pk], now=later) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (WebhookMessageStatus.SUCCEEDED, 2)
    [got] = receiver.posts()
    assert got.headers["webhook-id"] == message.message_id


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_batch_send_each_message_once(receiver, endpoint):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    now = timezone.now()
    ids = [m.pk for m in [*_publish(now=now), *_publish(now=now), *_publish(now=now), *_publish(now=now)]]
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()
        try:
            return services.webhook_messages_send(ids, now=now)
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        sent = list(pool.map(lambda _: worker(), range(2)))
    assert sum(sent) == 4
    assert len(receiver.posts()) == 4
    assert sorted(p.headers["webhook-id"] for p in receiver.posts()) == sorted(
        WebhookMessage.objects.filter(pk__in=ids).values_list("message_id", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_an_endpoint_deleted_while_its_message_is_out_does_not_undo_the_rest_of_the_batch(receiver, endpoint, owner):
    other = services.webhook_endpoint_create(url=receiver.url + "?other", events=["*"], owner=owner)
    receiver.secrets.append(other.secret)
    now = timezone.now()
    messages = _publish(now=now)
    doomed = next(m for m in messages if m.endpoint_id == endpoint.pk)

    def delete_the_endpoint():  # staff delete it while the request is out (another connection, committed)
        try:
            services.webhook_endpoint_delete(endpoint_id=endpoint.pk)
        finally:
            connection.close()

    receiver.answer(Answer(before=delete_the_endpoint))  # the first request to arrive
    assert services.webhook_messages_send([m.pk for m in messages], now=now) == 2
    assert not WebhookMessage.objects.filter(pk=doomed.pk).exists()
    # The other endpoint's message is recorded as delivered: not left "sending" to be sent again.
    (kept,) = WebhookMessage.objects.filter(endpoint=other)
    assert kept.status == WebhookMessageStatus.SUCCEEDED
    assert [a.succeeded for a in _attempts(kept)] == [True]


def test_messages_of_a_disabled_endpoint_wait_and_resume_when_enabled(receiver, endpoint):
    now = timezone.now()
    [message] = _publish(now=now)
    services.webhook_endpoint_set_active(endpoint_id=endpoint.pk, active=False, now=now)
    assert services.webhook_messages_send([message.pk], now=now) == 0
    assert services.webhook_dispatch_due(now=now + timedelta(hours=1)) == []
    assert receiver.posts() == []
    services.webhook_endpoint_set_active(endpoint_id=endpoint.pk, active=True, now=now)
    later = now + timedelta(hours=1)
    assert services.webhook_messages_send(services.webhook_dispatch_due(now=later), now=later) == 1
    assert len(receiver.posts()) == 1


# ---- manual redelivery -----------------------------------------------------------------------------------------


def test_redelivery_is_a_new_attempt_of_the_same_message(receiver, endpoint):
    now = timezone.now()
    [message] = _publish(now=now)
    services.webhook_messages_send([message.pk], now=now)
    later = now + timedelta(minutes=10)
    services.webhook_message_redeliver(message_id=message.pk, now=later)
    message.refresh_from_db()
    assert (message.status, message.next_attempt_at) == (WebhookMessageStatus.PENDING, later)
    assert services.webhook_messages_send([message.pk], now=later) == 1
    first, second = receiver.posts()
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == message.message_id
    assert second.verified == {endpoint.secret: True}
    assert [(a.number, a.succeeded) for a in _attempts(message)] == [(1, True), (2, True)]


def test_redelivering_a_failed_message_gives_it_one_more_attempt(settings, receiver, endpoint):
    settings.WEBHOOK_RETRY_SCHEDULE = []
    receiver.answer(Answer(500), Answer(500))
    now = timezone.now()
    [message] = _publish(now=now)
    services.webhook_messages_send([message.pk], now=now)
    message.refresh_from_db()
    assert message.status == WebhookMessageStatus.FAILED
    services.webhook_message_redeliver(message_id=message.pk, now=now)
    services.webhook_messages_send([message.pk], now=now)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (WebhookMessageStatus.FAILED, 2)
    services.webhook_message_redeliver(message_id=message.pk, now=now)
    assert services.webhook_messages_send([message.pk], now=now) == 1
    assert len(receiver.posts()) == 3


def test_redelivery_is_refused_while_disabled_or_in_flight(receiver, endpoint):
    now = timezone.now()
    [message] = _publish(now=now)
    services.webhook_messages_claim([message.pk], now=now)
    with pytest.raises(Conflict):
        services.webhook_message_redeliver(message_id=message.pk, now=now)
    services.webhook_endpoint_set_active(endpoint_id=endpoint.pk, active=False, now=now)
    with pytest.raises(Conflict) as exc:
        services.webhook_message_redeliver(message_id=message.pk, now=now)
    assert "active" in exc.value.fields


def test_a_test_event_goes_to_one_endpoint_whatever_it_subscribed(receiver, owner, endpoint):
    other = services.webhook_endpoint_create(url=receiver.url, events=["*"], owner=owner)
    now = timezone.now()
    message = services.webhook_test_send(endpoint_id=endpoint.pk, now=now)
    assert services.webhook_messages_send([message.pk], now=now) == 1
    [got] = receiver.posts()
    assert got.verified == {endpoint.secret: True}
    assert got.payload["type"] == services.TEST_EVENT
    assert got.payload["data"]["endpoint"] == {"id": str(endpoint.pk), "url": endpoint.url}
    assert not WebhookMessage.objects.filter(endpoint=other).exists()


# ---- secret rotation -------------------------------------------------------------------------------------------


def test_rotation_signs_with_both_secrets_during_the_overlap_then_only_the_new(receiver, endpoint):
    old = endpoint.secret
    now = timezone.now()
    rotated = services.webhook_endpoint_secret_rotate(endpoint_id=endpoint.pk, now=now)
    new = rotated.secret
    assert new != old and new.startswith("whsec_")
    assert rotated.previous_secret == old
    assert rotated.previous_secret_expires_at == now + timedelta(hours=24)
    receiver.secrets.append(new)

    [during] = _publish(now=now)
    services.webhook_messages_send([during.pk], now=now + timedelta(hours=23, minutes=59))
    after = now + timedelta(hours=24)
    [later] = _publish(now=after)
    services.webhook_messages_send([later.pk], now=after)

    first, second = receiver.posts()
    assert first.verified == {old: True, new: True}
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    assert second.verified == {old: False, new: True}
    assert len(second.headers["webhook-signature"].split(" ")) == 1


def test_rotating_twice_keeps_only_the_latest_previous_secret(receiver, endpoint):
    first = endpoint.secret
    now = timezone.now()
    second = services.webhook_endpoint_secret_rotate(endpoint_id=endpoint.pk, now=now).secret
    third = services.webhook_endpoint_secret_rotate(endpoint_id=endpoint.pk, now=now).secret
    receiver.secrets[:] = [first, second, third]
    [message] = _publish(now=now)
    services.webhook_messages_send([message.pk], now=now)
    [got] = receiver.posts()
    assert got.verified == {first: False, second: True, third: True}


# ---- disabling an endpoint that keeps failing -------------------------------------------------------------------


def test_a_short_outage_never_disables_however_many_failures(settings, receiver, endpoint):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.answer(*[Answer(500)] * 20)
    now = timezone.now()
    ids = [m.pk for _ in range(20) for m in _publish(now=now)]
    services.webhook_messages_send(ids, now=now)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 20
    assert endpoint.is_active  # 20 failures in a row, but within seconds: a blip, not a dead receiver
    later = now + timedelta(minutes=5)
    assert services.webhook_messages_send(services.webhook_dispatch_due(now=later), now=later) == 20
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.consecutive_failures) == (True, 0)  # one success resets the count


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_told(settings, receiver, endpoint, owner):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 10
    receiver.answer(*[Answer(502, b"bad gateway")] * 50)
    t0 = timezone.now()
    _publish(now=t0)
    _publish(now=t0 + timedelta(hours=2))
    now = t0
    # Follow both messages through their schedules, each attempt at the time it falls due.
    while WebhookEndpoint.objects.get(pk=endpoint.pk).is_active:
        pending = WebhookMessage.objects.filter(status=WebhookMessageStatus.PENDING, endpoint=endpoint)
        now = min(pending.values_list("next_attempt_at", flat=True))
        services.webhook_messages_send(list(pending.values_list("pk", flat=True)), now=now)
        assert now < t0 + timedelta(days=3)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures >= 10
    assert now - t0 >= timedelta(hours=24)  # the oldest undelivered message had been failing for a day
    assert endpoint.disabled_at == now
    assert "HTTP 502" in endpoint.disabled_reason
    sent = len(receiver.posts())
    assert services.webhook_dispatch_due(now=now + timedelta(days=2)) == []  # nothing more goes out
    assert len(receiver.posts()) == sent

    deliveries = Delivery.objects.filter(event=WEBHOOK_ENDPOINT_DISABLED, recipient_key=f"omni.user:{owner.pk}")
    assert sorted(deliveries.values_list("channel", flat=True)) == [Channel.EMAIL, Channel.INAPP]
    email = deliveries.get(channel=Channel.EMAIL)
    assert email.address == owner.email
    assert email.payload["endpoint_url"] == endpoint.url
    assert email.payload["id"] == str(endpoint.pk)
    assert email.payload["url"].endswith(f"/webhooks/{endpoint.pk}/")


def test_enabling_again_clears_the_failure_count_and_reason(receiver, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, consecutive_failures=12, disabled_at=timezone.now(), disabled_reason="x"
    )
    enabled = services.webhook_endpoint_set_active(endpoint_id=endpoint.pk, active=True)
    assert (enabled.is_active, enabled.consecutive_failures, enabled.disabled_at, enabled.disabled_reason) == (
        True,
        0,
        None,
        "",
    )
