"""Staff two-factor authentication (allauth.mfa TOTP): set up in the staff layout, then asked at every sign-in."""

import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, TOTP, format_hotp_value, hotp_value
from django.test import Client

from tests.omni.factories import PASSWORD

STAFF_HOST = "localhost"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def current_code(secret: str) -> str:
    """The authenticator app's code now. Waits out the last second of a period so the server sees the same one."""
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 1.5:
        time.sleep(1.6)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def wrong_code(secret: str) -> str:
    right = current_code(secret)
    return format_hotp_value((int(right) + 1) % 10**mfa_settings.TOTP_DIGITS)


def password_step(user, host=STAFF_HOST):
    client = Client(HTTP_HOST=host)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    return client, response


@pytest.fixture
def agent_with_totp(agent):
    TOTP.activate(agent, SECRET)
    return agent


def test_staff_sets_up_totp_through_the_pages_in_the_staff_layout(agent):
    client, response = password_step(agent)
    assert response["Location"] == "/"

    index = client.get("/accounts/2fa/")
    html = index.content.decode()
    assert index.status_code == 200
    assert index.context["portal_layout"] == "layouts/staff.html"
    assert 'href="/api/docs/"' in html  # the staff console's navigation
    assert html.count("<h1") == 1 and "An authenticator app is not active." in html

    # Turning 2FA on asks for the password again (allauth reauthentication), on a page in the same layout.
    reauth = client.get("/accounts/2fa/totp/activate/")
    assert reauth.status_code == 302 and reauth["Location"].startswith("/accounts/reauthenticate/")
    page = client.get(reauth["Location"])
    assert page.status_code == 200 and page.context["portal_layout"] == "layouts/staff.html"
    assert page.content.decode().count("<h1") == 1 and '<label for="id_password"' in page.content.decode()
    response = client.post(reauth["Location"], {"password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/totp/activate/"

    activate = client.get("/accounts/2fa/totp/activate/")
    html = activate.content.decode()
    secret = client.session[SECRET_SESSION_KEY]
    assert activate.status_code == 200 and html.count("<h1") == 1
    assert 'src="data:image/svg+xml;base64,' in html  # the QR code
    assert f'value="{secret}"' in html and '<label for="authenticator_secret"' in html
    assert '<label for="id_code"' in html

    refused = client.post("/accounts/2fa/totp/activate/", {"code": wrong_code(secret)})
    assert refused.status_code == 200 and "Incorrect code." in refused.content.decode()
    assert not Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).exists()

    response = client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).exists()
    codes = client.get(response["Location"])  # recovery codes are shown once TOTP is on, in the same layout
    assert codes.status_code == 200 and codes.context["portal_layout"] == "layouts/staff.html"


def test_sign_in_asks_for_the_code_after_the_password(agent_with_totp):
    client, response = password_step(agent_with_totp)
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    assert client.get("/")["Location"] == "/accounts/login/?next=/"  # the password alone opens nothing

    page = client.get("/accounts/2fa/authenticate/")
    html = page.content.decode()
    assert page.status_code == 200 and html.count("<h1") == 1
    assert page.context["portal_layout"] == "layouts/staff.html"
    assert '<label for="id_code"' in html and 'autocomplete="one-time-code"' in html


def test_wrong_code_is_refused_and_the_right_one_signs_in(agent_with_totp):
    client, _response = password_step(agent_with_totp)

    refused = client.post("/accounts/2fa/authenticate/", {"code": wrong_code(SECRET)})
    assert refused.status_code == 200 and "Incorrect code." in refused.content.decode()
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": current_code(SECRET)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(agent_with_totp.pk)
    assert client.get("/").status_code == 200


def test_a_code_works_only_once(agent_with_totp):
    code = current_code(SECRET)
    first, _response = password_step(agent_with_totp)
    assert first.post("/accounts/2fa/authenticate/", {"code": code})["Location"] == "/"

    second, _response = password_step(agent_with_totp)
    replay = second.post("/accounts/2fa/authenticate/", {"code": code})
    assert replay.status_code == 200 and "_auth_user_id" not in second.session


def test_code_step_still_refuses_users_of_another_audience_on_the_portal(agent_with_totp):
    client, response = password_step(agent_with_totp, host="portal.localhost")
    assert "The email address and/or password you specified are not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/accounts/2fa/authenticate/")["Location"].startswith("/accounts/login/")
