"""Web push end to end: notify() -> a local server acting as the push service. The test plays the browser: it
makes a real P-256 key pair and auth secret, subscribes with them, then decrypts the aes128gcm payload with
http_ece and verifies the VAPID JWT with the public key. Gone subscriptions are deleted; busy services retried."""

import datetime as dt
import time

import http_ece
import orjson
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.utils import timezone

from notifications import services
from notifications.choices import Channel, DeliveryStatus
from notifications.management.commands.vapid_keys import vapid_key_pair
from notifications.models import Delivery, PushSubscription
from notifications.recipients import Recipient
from tests.notifications.sms_support import CONTEXT, EVENT, Answer, Browser, PushService, unb64url

pytestmark = pytest.mark.django_db
SUBJECT = "mailto:ops@example.com"


@pytest.fixture
def push_service(settings):
    public, private = vapid_key_pair()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY, settings.VAPID_SUBJECT = public, private, SUBJECT
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # the push service listens on 127.0.0.1
    with PushService() as server:
        yield server


def _subscribe(user, server, browser, name="browser") -> PushSubscription:
    subscription, created = services.push_subscription_save(
        user=user, endpoint=f"{server.url}/push/{name}", user_agent="Test", **browser.keys
    )
    assert created
    return subscription


def _push(user, *, now=None) -> Delivery:
    (delivery,) = services.notify(
        EVENT, [Recipient.for_user(user)], CONTEXT, channels=[Channel.PUSH], url="https://portal.example/outages/7"
    )
    services.deliveries_send([delivery.pk], now=now)
    delivery.refresh_from_db()
    return delivery


def _verify_vapid(authorization: str) -> tuple[dict, str]:
    """The claims of a `vapid t=<JWT>, k=<key>` header, once its ES256 signature verifies with k."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    parts = dict(item.strip().split("=", 1) for item in params.split(","))
    header, claims, signature = parts["t"].split(".")
    assert orjson.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # InvalidSignature otherwise
    return orjson.loads(unb64url(claims)), parts["k"]


def test_a_push_is_encrypted_for_the_browser_and_signed_with_vapid(push_service, customer, settings):
    browser = Browser()
    subscription = _subscribe(customer, push_service, browser)
    delivery = _push(customer)

    assert delivery.status == DeliveryStatus.SENT, delivery.attempt_log_text
    (request,) = push_service.requests
    assert request.method == "POST" and request.path == "/push/browser"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert int(request.headers["ttl"]) > 0
    assert browser.decrypt(request.body) == {
        "title": "Outage in Lekki Phase 1",
        "body": "Service is back by 18:00.",
        "url": "https://portal.example/outages/7",
    }
    claims, key = _verify_vapid(request.headers["authorization"])
    assert key == settings.VAPID_PUBLIC_KEY
    assert claims["aud"] == push_service.url
    assert claims["sub"] == SUBJECT
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert delivery.provider_message_id == f"{push_service.url}/messages/1"
    subscription.refresh_from_db()
    assert subscription.last_used_at is not None


def test_the_payload_does_not_decrypt_with_another_browsers_keys(push_service, customer):
    _subscribe(customer, push_service, Browser())
    _push(customer)
    with pytest.raises(http_ece.ECEException):
        Browser().decrypt(push_service.requests[0].body)


def test_a_forged_vapid_signature_does_not_verify(push_service, customer):
    _subscribe(customer, push_service, Browser())
    _push(customer)
    authorization = push_service.requests[0].headers["authorization"]
    other_public, _private = vapid_key_pair()
    forged = authorization.rsplit("k=", 1)[0] + f"k={other_public}"
    with pytest.raises(InvalidSignature):
        _verify_vapid(forged)


@pytest.mark.parametrize("status", [410, 404])
def test_a_gone_subscription_is_deleted(push_service, customer, status):
    _subscribe(customer, push_service, Browser())
    push_service.answer(Answer(status, b"subscription expired"))
    delivery = _push(customer)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.reason == "every push subscription of the user has expired"
    assert f"{status} subscription expired" in delivery.attempt_log_text
    assert not PushSubscription.objects.filter(user=customer).exists()


def test_one_browser_gone_and_another_served_is_sent_and_the_gone_one_removed(push_service, customer):
    old = _subscribe(customer, push_service, Browser(), name="old-laptop")
    phone_browser = Browser()
    phone = _subscribe(customer, push_service, phone_browser, name="phone")
    push_service.answer(Answer(410))  # subscriptions are served oldest first
    delivery = _push(customer)

    assert delivery.status == DeliveryStatus.SENT
    assert [r.path for r in push_service.requests] == ["/push/old-laptop", "/push/phone"]
    assert phone_browser.decrypt(push_service.requests[1].body)["title"] == "Outage in Lekki Phase 1"
    assert list(PushSubscription.objects.filter(user=customer)) == [phone]
    assert not PushSubscription.objects.filter(pk=old.pk).exists()


@pytest.mark.parametrize("status", [503, 429])
def test_a_busy_push_service_is_retried_later(push_service, customer, status):
    subscription = _subscribe(customer, push_service, Browser())
    push_service.answer(Answer(status, b"busy"))
    now = timezone.now()
    delivery = _push(customer, now=now)
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.scheduled_for > now
    assert PushSubscription.objects.filter(pk=subscription.pk).exists()

    services.deliveries_send([delivery.pk], now=delivery.scheduled_for + dt.timedelta(seconds=1))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 2 and len(push_service.requests) == 2


def test_a_push_service_that_refuses_the_message_fails_it(push_service, customer):
    _subscribe(customer, push_service, Browser())
    push_service.answer(Answer(413, b"payload too large"))
    delivery = _push(customer)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.reason == "every push service refused the message"
    assert PushSubscription.objects.filter(user=customer).exists()  # the browser is still there


def test_a_user_without_subscriptions_is_suppressed_not_failed(push_service, customer):
    delivery = _push(customer)
    assert (delivery.status, delivery.reason) == (DeliveryStatus.SUPPRESSED, "no push subscription")
    assert "suppressed: no push subscription" in delivery.attempt_log_text
    assert push_service.requests == []
    assert services.deliveries_retry([delivery.pk]) == 0  # nothing to send again


def test_push_without_vapid_keys_fails_with_the_reason(push_service, customer, settings):
    _subscribe(customer, push_service, Browser())
    settings.VAPID_PRIVATE_KEY = ""
    delivery = _push(customer)
    assert delivery.status == DeliveryStatus.FAILED
    assert "web push is not configured" in delivery.reason
    assert push_service.requests == []


def test_an_endpoint_on_a_private_address_is_never_contacted(push_service, customer, settings):
    # Rows stored while private addresses were allowed (or written around the service): the sender checks again,
    # the literal address and what a host name resolves to (localhost -> 127.0.0.1).
    browser = Browser()
    for endpoint in (f"https://127.0.0.1:{push_service.port}/push/a", f"https://localhost:{push_service.port}/push/b"):
        PushSubscription.objects.create(user=customer, endpoint=endpoint, **browser.keys)
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    delivery = _push(customer)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.reason == "every push service refused the message"
    assert "private or loopback" in delivery.attempt_log_text
    assert "not a public address" in delivery.attempt_log_text
    assert push_service.requests == []
    assert PushSubscription.objects.filter(user=customer).count() == 2
