"""API tokens: stored hashed, refused when expired or revoked (at once), stamped when used, issued by a command."""

import hashlib
import io
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from omni.models import ApiToken
from omni.tokens import api_token_create, api_token_resolve, api_token_revoke
from tests.conftest import ApiClient
from tests.omni.api_contract import assert_error

URL = "/api/v1/crm/accounts/"


def test_only_the_hash_is_stored(agent):
    token, raw = api_token_create(user=agent, name="erp", scopes=["read"])
    assert raw.startswith("omni_") and len(raw) > 40
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM omni_apitoken")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert raw not in stored
    assert raw[len(token.prefix) :] not in stored  # nothing past the short display prefix
    assert ApiClient(raw).get(URL).status_code == 200


def test_expired_token_is_401(agent, account):
    token, raw = api_token_create(user=agent, name="erp", scopes=["read"])
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    body = assert_error(ApiClient(raw).get(URL), 401, code="authentication_failed")
    assert "expired" in body["detail"]


def test_a_cached_token_is_refused_once_it_expires(agent, account):
    _token, raw = api_token_create(
        user=agent, name="short", scopes=["read"], expires_at=timezone.now() + timedelta(seconds=1.5)
    )
    client = ApiClient(raw)
    assert client.get(URL).status_code == 200  # the lookup is now cached
    time.sleep(1.6)
    assert_error(client.get(URL), 401)


def test_revoked_token_is_refused_on_the_next_request(agent, account, django_capture_on_commit_callbacks):
    token, raw = api_token_create(user=agent, name="erp", scopes=["read"])
    client = ApiClient(raw)
    assert client.get(URL).status_code == 200  # cached for API_TOKEN_CACHE_SECONDS
    with django_capture_on_commit_callbacks(execute=True):
        api_token_revoke(token_id=token.pk)
    assert_error(client.get(URL), 401)
    token.refresh_from_db()
    revoked_at = token.revoked_at
    assert revoked_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        api_token_revoke(token_id=token.pk)  # revoking twice changes nothing
    token.refresh_from_db()
    assert token.revoked_at == revoked_at


def test_admin_revoke_action_takes_effect_at_once(
    agent, admin_user, account, client_as, django_capture_on_commit_callbacks
):
    token, raw = api_token_create(user=agent, name="erp", scopes=["read"])
    api = ApiClient(raw)
    assert api.get(URL).status_code == 200
    admin = client_as(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/admin/omni/apitoken/", {"action": "revoke", "_selected_action": [str(token.pk)]}, follow=True
        )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_error(api.get(URL), 401)


def test_last_used_at_is_stamped(agent, account):
    token, raw = api_token_create(user=agent, name="erp", scopes=["read"])
    assert token.last_used_at is None
    before = timezone.now()
    ApiClient(raw).get(URL)
    token.refresh_from_db()
    assert token.last_used_at is not None and before <= token.last_used_at <= timezone.now()


def test_inactive_users_token_resolves_to_nothing(agent):
    _token, raw = api_token_create(user=agent, name="erp", scopes=["read"])
    agent.is_active = False
    agent.save()
    assert api_token_resolve(raw) is None


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer omni_" + "x" * 200, "Bearer not-ours", "Bearer omni_wrong"],
)
def test_malformed_or_unknown_bearer_is_401(agent, account, header):
    from django.test import Client

    response = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=header).get(URL)
    assert_error(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(("scopes", "field"), [([], "scopes"), (["admin"], "scopes"), (["read", "root"], "scopes")])
def test_bad_scopes_are_refused(agent, scopes, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        api_token_create(user=agent, name="x", scopes=scopes)
    assert field in excinfo.value.message_dict
    assert not ApiToken.objects.exists()


def test_an_expiry_in_the_past_is_refused(agent):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        api_token_create(user=agent, name="x", scopes=["read"], expires_at=timezone.now() - timedelta(days=1))
    assert "expires_at" in excinfo.value.message_dict


# ---- manage.py create_api_token ------------------------------------------------------------------------


def test_create_api_token_command_prints_a_working_token(sales):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "--user", "SALES@example.com", "--scopes", "read,write", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert raw.startswith("omni_") and "\n" not in raw
    token = ApiToken.objects.get(user=sales)
    assert token.scopes == ["read", "write"]
    assert token.prefix in err.getvalue() and "sales@example.com" in err.getvalue()
    assert token.expires_at is not None and token.expires_at > timezone.now() + timedelta(days=364)
    response = ApiClient(raw).post(URL, {"name": "Made by the CLI token"})
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Made by the CLI token"


def test_create_api_token_read_scope_and_no_expiry(agent):
    out = io.StringIO()
    call_command("create_api_token", "--user", agent.email, "--days", "0", "--name", "erp", stdout=out, stderr=out)
    token = ApiToken.objects.get(user=agent)
    assert token.scopes == ["read"] and token.expires_at is None and token.name == "erp"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "agent@example.com", "--scopes", "read,admin"], "scopes"),
        (["--user", "agent@example.com", "--scopes", ","], "scopes"),
        (["--user", "nobody@example.com", "--scopes", "read"], "No user"),
    ],
)
def test_create_api_token_command_errors(agent, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_api_token", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()


def test_deactivating_a_user_in_the_admin_refuses_their_cached_token_at_once(
    agent, admin_user, account, client_as, django_capture_on_commit_callbacks
):
    _token, raw = api_token_create(user=agent, name="erp", scopes=["read"])
    api = ApiClient(raw)
    assert api.get(URL).status_code == 200  # cached for API_TOKEN_CACHE_SECONDS
    admin = client_as(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/admin/omni/user/", {"action": "deactivate", "_selected_action": [str(agent.pk)]}, follow=True
        )
    assert "1 user(s) deactivated." in response.content.decode()
    agent.refresh_from_db()
    assert not agent.is_active
    assert_error(api.get(URL), 401)

    with django_capture_on_commit_callbacks(execute=True):
        admin.post("/admin/omni/user/", {"action": "activate", "_selected_action": [str(agent.pk)]})
    assert api.get(URL).status_code == 200


def test_a_user_changed_in_the_admin_form_is_seen_by_the_next_api_request(
    agent, admin_user, account, client_as, django_capture_on_commit_callbacks
):
    _token, raw = api_token_create(user=agent, name="erp", scopes=["read"])
    api = ApiClient(raw)
    assert api.get(URL).status_code == 200
    admin = client_as(admin_user)
    form = admin.get(f"/admin/omni/user/{agent.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(groups=[group.pk for group in agent.groups.all()], user_permissions=[], is_active="")
    data.update(is_staff="on", last_login_0="", last_login_1="")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/admin/omni/user/{agent.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    agent.refresh_from_db()
    assert not agent.is_active
    assert_error(api.get(URL), 401)
