"""/admin/login/ signs nobody in: every request to it goes through allauth's login (two-factor, rate limits,
pre_login), whatever its method and body."""

import pytest
from django.test import Client

from tests.omni.factories import PASSWORD, StaffFactory
from tests.omni.test_auth_mfa import SECRET, TOTP, current_code


@pytest.fixture
def technician(db):
    return StaffFactory(email="tech@example.com", roles=["Technician"])


def signed_in_as(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_a_signed_in_technician_posting_the_admins_credentials_stays_the_technician(technician, admin_user, client_as):
    client = client_as(technician)
    response = client.post("/admin/login/?next=/admin/omni/user/", {"username": admin_user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/admin/omni/user/"
    assert signed_in_as(client) == str(technician.pk)
    assert client.get("/admin/omni/user/").status_code == 403  # still the technician, who may not list users
    assert client.get("/admin/").context["user"] == technician


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_anonymous_requests_of_any_method_go_to_allauths_login(admin_user, method):
    client = Client(HTTP_HOST="localhost")
    credentials = {"username": admin_user.email, "password": PASSWORD}
    response = getattr(client, method)(
        "/admin/login/?next=/admin/crm/account/", None if method == "get" else credentials
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/crm/account/"
    assert signed_in_as(client) is None


def test_next_pointing_elsewhere_is_replaced_by_the_admin_index(technician, client_as):
    client = client_as(technician)
    for target in ("https://evil.example/", "//evil.example/admin/"):
        response = client.get("/admin/login/", {"next": target})
        assert response.status_code == 302 and response["Location"] == "/admin/"


def test_a_signed_in_user_without_admin_access_gets_403_not_a_redirect_loop(technician, client_as):
    client = client_as(technician)
    technician.is_staff = False
    technician.save(update_fields=["is_staff"])
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_an_admin_with_totp_cannot_reach_the_admin_without_the_code(technician, admin_user, client_as):
    TOTP.activate(admin_user, SECRET)
    # Not through the admin's login, even from a signed-in session...
    client = client_as(technician)
    client.post("/admin/login/", {"username": admin_user.email, "password": PASSWORD})
    assert signed_in_as(client) == str(technician.pk)
    assert client.get("/admin/omni/user/").status_code == 403

    # ...nor from an anonymous one: the admin sends it to allauth, which asks for the code after the password.
    client = Client(HTTP_HOST="localhost")
    login = client.get("/admin/omni/user/", follow=True).redirect_chain
    assert login == [("/admin/login/?next=/admin/omni/user/", 302), ("/accounts/login/?next=/admin/omni/user/", 302)]
    response = client.post("/accounts/login/?next=/admin/omni/user/", {"login": admin_user.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_as(client) is None
    assert client.get("/admin/omni/user/")["Location"] == "/admin/login/?next=/admin/omni/user/"

    response = client.post("/accounts/2fa/authenticate/", {"code": current_code(SECRET)})
    assert response["Location"] == "/admin/omni/user/"
    assert signed_in_as(client) == str(admin_user.pk)
    assert client.get("/admin/omni/user/").status_code == 200
