"""Web push subscriptions: the API (/api/v1/notifications/push-subscriptions/), the page endpoint the script
uses on every host (session + CSRF), the VAPID key, the service worker, and `manage.py vapid_keys`."""

import io

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.test import Client
from py_vapid import Vapid

from notifications.models import PushSubscription
from tests.notifications.sms_support import Browser, b64url, unb64url
from tests.omni.api_contract import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/notifications/push-subscriptions/"
PAGE_URL = "/notifications/push/subscription/"
ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc123"
HOSTS = ["localhost", "portal.localhost", "reseller.localhost", "vendor.localhost"]


def _body(endpoint=ENDPOINT, browser=None, **keys):
    return {"endpoint": endpoint, "expirationTime": None, "keys": {**(browser or Browser()).keys, **keys}}


def test_a_user_subscribes_a_browser_and_subscribing_again_changes_nothing(api_as, agent):
    client = api_as(agent)
    browser = Browser()
    response = client.post(URL, _body(browser=browser), HTTP_USER_AGENT="Firefox/140")
    assert response.status_code == 201, response.content
    row = response.json()
    assert row["endpoint"] == ENDPOINT and row["user_agent"] == "Firefox/140" and row["last_used_at"] is None
    stored = PushSubscription.objects.get()
    assert (stored.user, stored.p256dh, stored.auth) == (agent, browser.keys["p256dh"], browser.keys["auth"])

    again = client.post(URL, _body(browser=browser))
    assert again.status_code == 200
    assert again.json()["id"] == row["id"]
    assert PushSubscription.objects.count() == 1
    assert [r["id"] for r in client.get(URL).json()["results"]] == [row["id"]]


def test_a_shared_browser_moves_to_the_user_who_subscribes_it(api_as, agent, sales):
    api_as(agent).post(URL, _body())
    assert api_as(sales).post(URL, _body()).status_code == 200
    assert PushSubscription.objects.get().user == sales
    assert api_as(agent).get(URL).json()["results"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_body(endpoint="http://push.example.com/x"), "endpoint"),
        (_body(endpoint="https://127.0.0.1/x"), "endpoint"),
        (_body(endpoint="https://[::1]:8443/x"), "endpoint"),
        (_body(endpoint="https://10.0.0.7/x"), "endpoint"),
        (_body(endpoint="not a url"), "endpoint"),
        (_body(p256dh="AAAA"), "keys"),
        (_body(p256dh=b64url(b"\x05" + bytes(64))), "keys"),
        (_body(auth="!!"), "keys"),
        (_body(auth=b64url(bytes(15))), "keys"),
        ({"endpoint": ENDPOINT}, "keys"),
    ],
)
def test_a_subscription_that_cannot_be_used_is_a_400_naming_the_field(api_as, agent, body, field):
    assert_error(api_as(agent).post(URL, body), 400, field=field)
    assert not PushSubscription.objects.exists()


def test_the_keys_error_names_the_key(api_as, agent):
    body = assert_error(api_as(agent).post(URL, _body(auth="short")), 400, field="keys")
    assert set(body["fields"]["keys"]) == {"auth"}


def test_users_see_and_delete_only_their_own_subscriptions(api_as, sales, agent):
    mine = api_as(sales).post(URL, _body()).json()
    theirs = api_as(agent).post(URL, _body(endpoint=ENDPOINT + "-agent")).json()
    assert [r["id"] for r in api_as(sales).get(URL).json()["results"]] == [mine["id"]]
    assert_error(api_as(sales).delete(f"{URL}{theirs['id']}/"), 404)
    assert PushSubscription.objects.count() == 2

    assert api_as(sales).delete(f"{URL}{mine['id']}/").status_code == 204
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [ENDPOINT + "-agent"]
    assert_error(api_as(sales).delete(f"{URL}{mine['id']}/"), 404)


def test_anonymous_is_401_and_a_read_only_token_cannot_subscribe(api_as, anon_api, agent):
    assert_error(anon_api.get(URL), 401)
    assert_error(anon_api.post(URL, _body()), 401)
    assert_error(api_as(agent, scopes=("read",)).post(URL, _body()), 403)
    assert not PushSubscription.objects.exists()


# ---- the page endpoint (every host, session + CSRF) --------------------------------------------------------


def _session(user, host):
    client = Client(HTTP_HOST=host, enforce_csrf_checks=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    token = client.get("/notifications/inbox/").cookies["csrftoken"].value  # any page sets the cookie
    return client, token


@pytest.mark.parametrize(
    ("user_fixture", "host"),
    [
        ("agent", "localhost"),
        ("customer", "portal.localhost"),
        ("reseller", "reseller.localhost"),
        ("vendor", "vendor.localhost"),
    ],
)
def test_the_page_subscribes_and_unsubscribes_on_each_host(request, user_fixture, host):
    user = request.getfixturevalue(user_fixture)
    client, token = _session(user, host)
    body = _body()

    assert client.post(PAGE_URL, body, content_type="application/json").status_code == 403  # no CSRF token
    response = client.post(PAGE_URL, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content
    assert PushSubscription.objects.get().user == user

    response = client.delete(PAGE_URL, {"endpoint": ENDPOINT}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 204
    assert not PushSubscription.objects.exists()


def test_the_page_cannot_delete_someone_elses_subscription(customer, other_customer):
    PushSubscription.objects.create(user=other_customer, endpoint=ENDPOINT, **Browser().keys)
    client, token = _session(customer, "portal.localhost")
    response = client.delete(PAGE_URL, {"endpoint": ENDPOINT}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 204  # idempotent, and says nothing about other people's browsers
    assert PushSubscription.objects.get().user == other_customer


def test_the_page_endpoint_refuses_anonymous_and_bad_bodies(customer):
    assert (
        Client(HTTP_HOST="portal.localhost").post(PAGE_URL, _body(), content_type="application/json").status_code == 403
    )
    client, token = _session(customer, "portal.localhost")
    response = client.post(PAGE_URL, _body(p256dh="x"), content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert_error(response, 400, field="keys")
    response = client.delete(PAGE_URL, {}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert_error(response, 400, field="endpoint")


# ---- the key, the service worker, the key command ------------------------------------------------------------


@pytest.mark.parametrize("host", HOSTS)
def test_the_vapid_key_and_the_service_worker_are_served_on_every_host(settings, host):
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = "BPublic", "private"
    client = Client(HTTP_HOST=host)
    assert client.get("/notifications/push/config/").json() == {"public_key": "BPublic"}
    response = client.get("/notifications/push/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert b'addEventListener("push"' in response.content


def test_no_key_is_offered_until_both_vapid_keys_are_set(settings):
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = "BPublic", ""
    assert Client(HTTP_HOST="localhost").get("/notifications/push/config/").json() == {"public_key": ""}


def test_vapid_keys_prints_a_matching_pair_for_env():
    out = io.StringIO()
    call_command("vapid_keys", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().split())
    assert set(lines) == {"VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY"}
    public = unb64url(lines["VAPID_PUBLIC_KEY"])
    assert len(public) == 65 and public[0] == 4  # what browsers take as applicationServerKey
    private = ec.derive_private_key(int.from_bytes(unb64url(lines["VAPID_PRIVATE_KEY"]), "big"), ec.SECP256R1())
    derived = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert derived == public
    # The form pywebpush's py_vapid reads from VAPID_PRIVATE_KEY.
    signer = Vapid.from_string(private_key=lines["VAPID_PRIVATE_KEY"])
    assert (
        signer.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        == public
    )
