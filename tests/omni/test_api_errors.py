"""The API's one error shape, {code, detail, fields}, on every way a request can go wrong."""

import pytest

from tests.omni.api_contract import assert_error

ACCOUNTS = "/api/v1/crm/accounts/"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/crm/accounts/0.5/",  # no route matches (the router refuses dots in ids)
        "/api/v1/crm/accounts/0.5/restore/",
        "/api/v1/nothing-here/",
        "/api/v1/",
    ],
)
def test_unrouted_api_urls_are_json_404(api_as, agent, path):
    response = api_as(agent).get(path)
    assert_error(response, 404, code="not_found")
    assert "X-RateLimit-Limit" in response


def test_pages_outside_the_api_keep_the_html_404(client_as, agent):
    response = client_as(agent).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_form_encoded_bodies_are_415(api_as, admin_user):
    client = api_as(admin_user)
    response = client.generic("POST", ACCOUNTS, "name=Acme", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, code="unsupported_media_type")
    response = client.generic("POST", ACCOUNTS, b"--x--", content_type="multipart/form-data; boundary=x")
    assert_error(response, 415)
    from crm.models import Account

    assert not Account.objects.exists()


def test_errors_in_list_items_are_keyed_by_index(api_as, admin_user):
    body = assert_error(
        api_as(admin_user).post(
            "/api/v1/crm/contacts/",
            {"first_name": "A", "email": "a@example.com", "other_emails": ["ok@example.com", "bad"]},
        ),
        400,
        field="other_emails",
    )
    assert list(body["fields"]["other_emails"]) == ["1"]
    assert body["detail"].startswith("other_emails: ")


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "yesterday", "2024-13-01T00:00:00Z"],
)
def test_datetime_filters_outside_what_the_database_takes_are_400(api_as, admin_user, value):
    assert_error(api_as(admin_user).get(ACCOUNTS, {"updated_since": value}), 400, field="updated_since")
    assert_error(api_as(admin_user).get("/api/v1/crm/contacts/", {"updated_since": value}), 400, field="updated_since")


def test_datetime_filters_accept_any_offset_python_parses(api_as, admin_user, account):
    """PostgreSQL refuses offsets past ±15:59; the filter hands it UTC, so -22:11 works (the fuzzer's 500)."""
    client = api_as(admin_user)
    assert client.get(ACCOUNTS, {"updated_since": "0251-04-17T16:47:39.70-22:11"}).json()["count"] == 1
    assert client.get(ACCOUNTS, {"updated_since": "2000-01-01T00:00:00+14:00"}).json()["count"] == 1
    assert client.get(ACCOUNTS, {"created_since": "2999-01-01T00:00:00-12:00"}).json()["count"] == 0


def test_method_not_allowed_is_405_in_the_error_shape(api_as, admin_user):
    assert_error(api_as(admin_user).put(ACCOUNTS, {}), 405, code="method_not_allowed")
