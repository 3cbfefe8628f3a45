"""The event catalogue API, /api/v1/notifications/event-types/, as an outside client (literal URLs, real Bearer
tokens); and the webhook endpoints' refusal of events that webhooks never carry."""

import pytest
from django.core.exceptions import ValidationError
from drf_spectacular.generators import SchemaGenerator

from crm.events import ACCOUNT_PAYLOAD
from notifications import registry, services
from notifications.choices import Channel
from notifications.events import WEBHOOK_ENDPOINT_DISABLED
from notifications.models import WebhookEndpoint
from tests.omni.api_contract import assert_error
from tests.omni.factories import StaffFactory

URL = "/api/v1/notifications/event-types/"
ENDPOINTS = "/api/v1/notifications/webhook-endpoints/"
PUBLIC_URL = "https://93.184.215.14/hooks"  # a public address literal: no DNS, and nothing is sent on create


@pytest.fixture
def api(api_as):
    """Any staff user will do: one with no role at all, and a token with the read scope only."""
    return api_as(StaffFactory(email="reader@example.com", roles=[]), scopes=("read",))


def _keys(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["key"] for row in response.json()["results"]]


def _all(api, **params) -> list[str]:
    return _keys(api.get(URL, {"limit": 1000, **params}))


# ---- access ------------------------------------------------------------------------------------------------


def test_anonymous_and_unknown_tokens_are_401(db, anon_api):  # an unknown token is looked up
    from tests.conftest import ApiClient

    body = assert_error(anon_api.get(URL), 401, code="not_authenticated")
    assert body["fields"] == {}
    assert anon_api.get(URL)["WWW-Authenticate"] == 'Bearer realm="api"'
    assert_error(anon_api.get(f"{URL}crm.account.created/"), 401)
    assert_error(ApiClient("omni_not-a-real-token").get(URL), 401, code="authentication_failed")


def test_portal_users_get_403(api_as, customer, reseller, vendor):
    for user in (customer, reseller, vendor):
        client = api_as(user)
        body = assert_error(client.get(URL), 403)
        assert body["detail"] == "The event catalogue is for staff."
        assert_error(client.get(f"{URL}crm.account.created/"), 403)


def _people_only() -> list[str]:
    """The events only notify() sends (webhooks=False): the endpoint alarm, a quote's email to its customer, ..."""
    return sorted(event.key for event in registry.all_events() if not event.webhooks)


def test_a_staff_browser_session_reads_it_too(client_as, agent):
    response = client_as(agent).get(URL, {"webhooks": "false"}, HTTP_ACCEPT="application/json")
    assert _keys(response) == _people_only()


def test_the_catalogue_is_read_only(api_as, admin_user):
    client = api_as(admin_user)
    assert_error(client.post(URL, {"key": "crm.account.exploded", "description": "x"}), 405)
    assert_error(client.delete(f"{URL}crm.account.created/"), 405)
    assert "crm.account.exploded" not in {event.key for event in registry.all_events()}


# ---- list ---------------------------------------------------------------------------------------------------


def test_the_list_is_the_registry_by_key(api):
    expected = [event.key for event in registry.all_events()]
    assert expected == sorted(expected)
    assert {"crm.account.created", "crm.contact.deleted", WEBHOOK_ENDPOINT_DISABLED} <= set(expected)
    assert _all(api) == expected


def test_each_item_describes_the_event(api):
    rows = {row["key"]: row for row in api.get(URL, {"limit": 1000}).json()["results"]}
    assert rows["crm.account.created"] == {
        "key": "crm.account.created",
        "description": "A customer account was created",
        "payload": list(ACCOUNT_PAYLOAD),
        "default_channels": [],
        "mandatory": False,
        "webhooks": True,
    }
    assert rows[WEBHOOK_ENDPOINT_DISABLED] == {
        "key": WEBHOOK_ENDPOINT_DISABLED,
        "description": "A webhook endpoint kept failing and was disabled (sent to its owner)",
        "payload": ["id", "endpoint_url", "description", "reason", "failures", "disabled_at"],
        "default_channels": [Channel.EMAIL, Channel.INAPP],
        "mandatory": True,
        "webhooks": False,
    }
    assert services.TEST_EVENT not in rows  # sent on request only: nothing to subscribe to


def test_the_list_is_paginated_like_the_others(api):
    everything = _all(api)
    first = api.get(URL, {"limit": 2}).json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == len(everything) and first["previous"] is None
    assert "limit=2" in first["next"] and "offset=2" in first["next"]
    pages, offset = [], 0
    while offset < len(everything):
        pages += _keys(api.get(URL, {"limit": 2, "offset": offset}))
        offset += 2
    assert pages == everything
    last = api.get(URL, {"limit": 2, "offset": len(everything) - 1}).json()
    assert last["next"] is None and len(last["results"]) == 1


def test_search_matches_key_or_description_ignoring_case(api):
    assert _all(api, search="crm.CONTACT") == ["crm.contact.created", "crm.contact.deleted", "crm.contact.updated"]
    assert _all(api, search="restorable") == ["crm.account.deleted"]  # in the description only
    assert _all(api, search="  kept failing ") == [WEBHOOK_ENDPOINT_DISABLED]
    assert _all(api, search="no-such-event") == []
    assert _all(api, search="") == _all(api)


def test_filter_by_webhooks(api):
    everything = _all(api)
    carried = _all(api, webhooks="true")
    people_only = _all(api, webhooks="false")
    assert WEBHOOK_ENDPOINT_DISABLED in people_only and people_only == _people_only()
    assert carried == [key for key in everything if key not in people_only]
    assert carried == [event.key for event in registry.webhook_events()]
    assert {"crm.account.created", "crm.contact.updated"} <= set(carried)
    assert _all(api, webhooks="false", search="crm") == [key for key in people_only if key.startswith("crm.")]
    assert _all(api, webhooks="true", search="deleted") == ["crm.account.deleted", "crm.contact.deleted"]


def test_a_bad_filter_is_400_naming_it(api):
    assert_error(api.get(URL, {"webhooks": "maybe"}), 400, field="webhooks", code="invalid")
    assert_error(api.get(URL, {"search": "x" * 201}), 400, field="search", code="invalid")


# ---- detail -----------------------------------------------------------------------------------------------


def test_detail_by_key(api):
    response = api.get(f"{URL}crm.contact.deleted/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["key"] == "crm.contact.deleted" and body["webhooks"] is True
    assert body["description"] == registry.get("crm.contact.deleted").description
    assert body["payload"] == list(registry.get("crm.contact.deleted").payload)
    no_slash = api.get(f"{URL}{WEBHOOK_ENDPOINT_DISABLED}")  # every route answers without its slash too
    assert no_slash.status_code == 200 and no_slash.json()["webhooks"] is False


@pytest.mark.parametrize("key", ["crm.account.exploded", services.TEST_EVENT, "*", "crm"])
def test_an_unknown_key_is_404_with_the_error_body(api, key):
    body = assert_error(api.get(f"{URL}{key}/"), 404, code="not_found")
    assert key in body["detail"] and body["fields"] == {}


# ---- queries ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 200])
def test_reading_the_catalogue_runs_no_query(api, monkeypatch, extra, django_assert_num_queries):
    """Authentication reads the token once (then Redis caches it); the catalogue itself is memory, whatever its
    size."""
    events = dict(registry._events)
    registered = len(events)
    for n in range(extra):
        key = f"zz.thing{n}.happened"
        events[key] = registry.EventType(key, f"Thing {n} happened")
    monkeypatch.setattr(registry, "_events", events)
    assert api.get(URL, {"limit": 1}).status_code == 200  # warms the token cache
    with django_assert_num_queries(0):
        page = api.get(URL, {"limit": 1000}).json()
        detail = api.get(f"{URL}crm.account.created/")
    assert page["count"] == len(page["results"]) == registered + extra
    assert detail.status_code == 200


# ---- webhook endpoints refuse what webhooks never carry ----------------------------------------------------


@pytest.fixture
def admin_api(api_as, admin_user):
    return api_as(admin_user)


def test_creating_an_endpoint_for_a_people_only_event_is_400(admin_api):
    for events in ([WEBHOOK_ENDPOINT_DISABLED], ["crm.account.created", WEBHOOK_ENDPOINT_DISABLED]):
        body = assert_error(admin_api.post(ENDPOINTS, {"url": PUBLIC_URL, "events": events}), 400, field="events")
        assert set(body["fields"]) == {"events"}
        assert body["fields"]["events"] == [f"Sent to people only, never to webhooks: {WEBHOOK_ENDPOINT_DISABLED}."]
        assert WEBHOOK_ENDPOINT_DISABLED in body["detail"]
    assert not WebhookEndpoint.objects.exists()


def test_changing_an_endpoint_to_a_people_only_event_is_400(admin_api, admin_user):
    endpoint = services.webhook_endpoint_create(url=PUBLIC_URL, events=["crm.account.created"], owner=admin_user)
    for method in (admin_api.patch, admin_api.put):
        response = method(f"{ENDPOINTS}{endpoint.pk}/", {"url": PUBLIC_URL, "events": [WEBHOOK_ENDPOINT_DISABLED]})
        assert_error(response, 400, field="events")
    endpoint.refresh_from_db()
    assert endpoint.events == ["crm.account.created"]


def test_the_test_event_and_unknown_keys_are_refused_with_their_reasons(admin_api):
    response = admin_api.post(ENDPOINTS, {"url": PUBLIC_URL, "events": [services.TEST_EVENT, "crm.account.exploded"]})
    reasons = assert_error(response, 400, field="events")["fields"]["events"]
    assert reasons[0] == "Unknown events: crm.account.exploded."
    assert reasons[1].startswith(f"{services.TEST_EVENT} needs no subscription")
    assert not WebhookEndpoint.objects.exists()


def test_the_flag_decides_what_an_endpoint_may_subscribe_to(db):
    """Every catalogue entry: subscribable exactly when the catalogue says webhooks carry it."""
    for event in registry.all_events():
        if event.webhooks:
            endpoint = services.webhook_endpoint_create(url=PUBLIC_URL, events=[event.key])
            assert endpoint.events == [event.key]
        else:
            with pytest.raises(ValidationError) as refused:
                services.webhook_endpoint_create(url=PUBLIC_URL, events=[event.key])
            assert list(refused.value.message_dict) == ["events"]
    assert WebhookEndpoint.objects.count() == len(registry.webhook_events()) >= 6


def test_star_still_means_every_webhook_event(admin_api):
    response = admin_api.post(ENDPOINTS, {"url": PUBLIC_URL, "events": ["*"]})
    assert response.status_code == 201, response.content
    assert WebhookEndpoint.objects.get().events == ["*"]
    [message] = services.webhook_publish(event="crm.contact.updated", data={"id": "c1"})
    assert message.payload["type"] == "crm.contact.updated"


# ---- the registry and the schema ------------------------------------------------------------------------------


def test_register_defaults_to_a_webhook_event_and_keeps_the_flag_in_its_identity(monkeypatch):
    monkeypatch.setattr(registry, "_events", {})
    assert registry.register("zz.thing.happened", "A thing happened", channels=()).webhooks is True
    quiet = registry.register("zz.thing.noticed", "Noticed", webhooks=False)
    assert quiet.webhooks is False
    assert [event.key for event in registry.webhook_events()] == ["zz.thing.happened"]
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("zz.thing.noticed", "Noticed")  # same definition but for the flag


def test_the_schema_documents_the_catalogue():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    listing = schema["paths"]["/api/v1/notifications/event-types/"]["get"]
    assert {param["name"] for param in listing["parameters"]} == {"limit", "offset", "search", "webhooks"}
    assert "/api/v1/notifications/event-types/{key}/" in schema["paths"]
    item = schema["components"]["schemas"]["EventTypeOut"]
    assert set(item["properties"]) == {"key", "description", "payload", "default_channels", "mandatory", "webhooks"}
    ref = item["properties"]["default_channels"]["items"]["$ref"]  # must resolve: --validate does not check it
    assert schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"] == Channel.values
