"""Webhook URLs cannot reach the inside of our network: refused on save, refused again at send time on the address
actually connected to (no DNS rebinding), no redirects followed; timeouts and answers are bounded."""

import socket

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications import net, services
from notifications.choices import WebhookMessageStatus
from notifications.models import WebhookAttempt, WebhookEndpoint
from notifications.services import webhook_sending
from tests.notifications.webhook_support import Answer, Receiver, fake_dns

PUBLIC = "93.184.215.14"  # a public address; nothing here ever connects to it successfully
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    settings.WEBHOOK_RETRY_SCHEDULE = [5, 300]
    settings.WEBHOOK_TIMEOUT = 2.0


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def _create(url, **kwargs):
    return services.webhook_endpoint_create(url=url, events=["*"], **kwargs)


def _send_one(endpoint):
    now = timezone.now()
    [message] = [
        m
        for m in services.webhook_publish(event="crm.account.created", data={}, now=now)
        if m.endpoint_id == endpoint.pk
    ]
    services.webhook_messages_send([message.pk], now=now)
    message.refresh_from_db()
    return message, WebhookAttempt.objects.get(message=message, number=1)


# ---- on save ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/hooks",
        "http://127.0.0.1/hooks",
        "http://127.1.2.3:8080/hooks",
        "http://10.0.0.1/hooks",
        "http://172.16.5.4/hooks",
        "http://192.168.1.1/hooks",
        "http://100.64.0.1/hooks",  # carrier-grade NAT
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]/hooks",
        "http://[fd00::1]/hooks",
        "http://[fe80::1]/hooks",
        "http://[::ffff:10.0.0.1]/hooks",
        "http://224.0.0.1/hooks",
        "http://0.0.0.0/hooks",
        "https://hooks.internal.example.com/x",  # a name resolving to 127.0.0.1
        "https://mixed.example.com/x",  # one public and one private answer
    ],
)
def test_private_urls_are_refused_on_save(monkeypatch, url):
    fake_dns(monkeypatch, {"hooks.internal.example.com": ["127.0.0.1"], "mixed.example.com": [PUBLIC, "10.9.9.9"]})
    with pytest.raises(ValidationError) as exc:
        _create(url)
    assert "public address" in exc.value.message_dict["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_private_urls_are_accepted_when_allowed(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    fake_dns(monkeypatch, {"hooks.internal.example.com": ["127.0.0.1"]})
    for url in ("http://localhost/", "http://10.0.0.1/", "http://169.254.169.254/", "http://[::1]/",
                "https://hooks.internal.example.com/"):  # fmt: skip
        assert _create(url).url == url


def test_a_public_name_is_accepted(monkeypatch):
    fake_dns(monkeypatch, {"hooks.partner.example.com": [PUBLIC]})
    assert _create("https://hooks.partner.example.com/omni").url == "https://hooks.partner.example.com/omni"


def test_unresolvable_and_non_http_urls_are_refused():
    for url, reason in [
        ("https://no-such-host.invalid/", "does not resolve"),
        ("gopher://93.184.215.14/", "valid http or https"),
        ("file:///etc/passwd", "valid http or https"),
    ]:
        with pytest.raises(ValidationError) as exc:
            _create(url)
        assert reason in exc.value.message_dict["url"][0]


def test_ip_is_public():
    assert net.ip_is_public(PUBLIC) and net.ip_is_public("2606:4700::1111")
    private = ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "fe80::1%eth0", "::ffff:127.0.0.1", "2002:a00:1::",
               "64:ff9b::a00:1", "192.0.2.1", "255.255.255.255", "240.0.0.1", "nonsense"]  # fmt: skip
    for address in private:
        assert not net.ip_is_public(address), address


# ---- at send time ------------------------------------------------------------------------------------------------


def test_a_url_saved_while_allowed_is_refused_at_send_time(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint = _create(receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    message, attempt = _send_one(endpoint)
    assert receiver.requests == []
    assert attempt.succeeded is False and attempt.status_code is None
    assert attempt.error == "refused: 127.0.0.1 is not a public address"
    assert (message.status, message.attempts) == (WebhookMessageStatus.PENDING, 1)  # a failure like any other


def test_dns_rebinding_to_a_private_address_is_refused_at_send_time(monkeypatch, receiver):
    lookups = []

    def answers():  # public when the URL is saved, loopback afterwards
        lookups.append(1)
        return [PUBLIC] if len(lookups) == 1 else ["127.0.0.1"]

    fake_dns(monkeypatch, {"rebind.example.com": answers})
    endpoint = _create(f"http://rebind.example.com:{receiver.port}/hooks")
    _message, attempt = _send_one(endpoint)
    assert receiver.requests == []
    assert "rebind.example.com resolves to 127.0.0.1" in attempt.error


def test_the_address_checked_is_the_address_connected_to(settings, monkeypatch, receiver):
    """A client that checked one lookup and let the connection resolve again would reach the receiver here."""
    settings.WEBHOOK_TIMEOUT = 1.0
    lookups = []

    def answers():  # public for the save and for the send's check, loopback for any later lookup
        lookups.append(1)
        return [PUBLIC] if len(lookups) <= 2 else ["127.0.0.1"]

    fake_dns(monkeypatch, {"rebind.example.com": answers})
    endpoint = _create(f"http://rebind.example.com:{receiver.port}/hooks")
    _message, attempt = _send_one(endpoint)
    assert receiver.requests == []
    assert len(lookups) == 2
    assert attempt.succeeded is False and not attempt.error.startswith("refused")  # it tried the public address


def test_a_name_resolving_to_a_public_and_a_private_address_is_refused_at_send_time(settings, monkeypatch, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint = _create(f"http://two.example.com:{receiver.port}/hooks")
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    fake_dns(monkeypatch, {"two.example.com": [PUBLIC, "127.0.0.1"]})
    _message, attempt = _send_one(endpoint)
    assert receiver.requests == []
    assert attempt.error.startswith("refused: two.example.com resolves to 127.0.0.1")


# ---- redirects, timeouts, answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_not_followed_and_count_as_failures(settings, receiver, status):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint = _create(receiver.url)
    target = f"http://127.0.0.1:{receiver.port}/internal"
    receiver.answer(Answer(status, b"moved", {"Location": target}))
    message, attempt = _send_one(endpoint)
    assert len(receiver.posts("/hooks")) == 1
    assert receiver.posts("/internal") == []
    assert (attempt.succeeded, attempt.status_code) == (False, status)
    assert attempt.error == f"HTTP {status}: redirect to {target} not followed"
    assert message.status == WebhookMessageStatus.PENDING


def test_a_slow_receiver_times_out(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_TIMEOUT = 0.3
    endpoint = _create(receiver.url)
    receiver.answer(Answer(200, delay=1.0))
    _message, attempt = _send_one(endpoint)
    assert attempt.succeeded is False
    assert attempt.error.startswith("timed out after 0.3 s")
    assert attempt.latency_ms >= 300


def test_a_closed_port_is_a_failed_attempt(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = _create(f"http://127.0.0.1:{port}/hooks")
    message, attempt = _send_one(endpoint)
    assert attempt.succeeded is False and attempt.error.startswith("ConnectError")
    assert message.status == WebhookMessageStatus.PENDING


def test_the_response_excerpt_is_capped(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint = _create(receiver.url)
    receiver.answer(Answer(500, "é".encode() * 50_000))
    _message, attempt = _send_one(endpoint)
    assert attempt.response_excerpt == "é" * webhook_sending.EXCERPT_CHARS
    assert attempt.error == "HTTP 500"


def test_any_2xx_is_a_success_and_4xx_a_failure(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint = _create(receiver.url)
    receiver.answer(Answer(204, b""), Answer(410, b"gone"))
    first, attempt = _send_one(endpoint)
    assert (first.status, attempt.status_code, attempt.succeeded) == (WebhookMessageStatus.SUCCEEDED, 204, True)
    second, attempt = _send_one(endpoint)
    assert (second.status, attempt.status_code, attempt.error) == (WebhookMessageStatus.PENDING, 410, "HTTP 410")
