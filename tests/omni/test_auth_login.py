"""Sign-in through the real allauth form on each host: each host admits only users of its own audience."""

import re
from email.message import Message
from http.cookiejar import CookieJar
from urllib.request import Request

import pytest
from django.conf import settings
from django.test import Client

from omni.models import User
from tests.omni.factories import PASSWORD

PASSWORDS = {"customer": PASSWORD, "agent": PASSWORD, "reseller": "pw-Reseller-123", "vendor": "pw-Vendor-123"}
HOME = {
    "customer": "portal.localhost",
    "agent": "localhost",
    "reseller": "reseller.localhost",
    "vendor": "vendor.localhost",
}
WRONG = "The email address and/or password you specified are not correct."
TOO_MANY = "Too many failed login attempts. Try again later."


def page(response) -> tuple[int, str]:
    """What the visitor sees, less the CSRF token (masked afresh in every response)."""
    html = re.sub(r'(csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]+"', "", response.content.decode())
    return response.status_code, html


def sign_in(host: str, email: str, password: str, **extra):
    client = Client(HTTP_HOST=host)
    response = client.post("/accounts/login/", {"login": email, "password": password, **extra})
    return client, response


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("who", ["customer", "agent", "reseller", "vendor"])
def test_user_signs_in_on_their_own_host_and_lands_on_the_dashboard(request, who):
    user = request.getfixturevalue(who)
    client, response = sign_in(HOME[who], user.email, PASSWORDS[who])
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert dashboard.context["user"] == user


def test_email_is_matched_case_insensitively(customer):
    client, response = sign_in("portal.localhost", "Customer@Example.COM", PASSWORD)
    assert response.status_code == 302 and is_signed_in(client)


@pytest.mark.parametrize(
    ("who", "host"),
    [
        ("customer", "localhost"),
        ("customer", "reseller.localhost"),
        ("customer", "vendor.localhost"),
        ("agent", "portal.localhost"),
        ("agent", "reseller.localhost"),
        ("agent", "vendor.localhost"),
        ("reseller", "portal.localhost"),
        ("reseller", "localhost"),
        ("vendor", "portal.localhost"),
        ("vendor", "localhost"),
    ],
)
def test_user_of_another_audience_gets_exactly_the_wrong_password_answer(request, who, host):
    """The right password of another portal's user must not be told apart from a wrong one."""
    user = request.getfixturevalue(who)
    client, response = sign_in(host, user.email, PASSWORDS[who])
    _other, wrong = sign_in(host, user.email, "not-the-password")
    assert page(response) == page(wrong)
    assert response.status_code == 200 and WRONG in page(response)[1]
    assert not is_signed_in(client)
    assert client.get("/")["Location"] == "/accounts/login/?next=/"  # still anonymous on that host


def test_the_right_password_on_another_portal_counts_as_a_failed_attempt(customer):
    for _attempt in range(5):  # allauth's default: 5 failures per address in 5 minutes
        _client, response = sign_in("localhost", customer.email, PASSWORD)
        assert WRONG in page(response)[1]
    _client, response = sign_in("localhost", customer.email, PASSWORD)
    assert TOO_MANY in page(response)[1] and WRONG not in page(response)[1]


def test_wrong_password_is_refused(customer):
    client, response = sign_in("portal.localhost", customer.email, "not-the-password")
    html = response.content.decode()
    assert response.status_code == 200
    assert WRONG in html
    assert not is_signed_in(client)


def test_staff_user_without_is_staff_cannot_use_the_console(agent):
    agent.is_staff = False
    agent.save(update_fields=["is_staff"])
    client, response = sign_in("localhost", agent.email, PASSWORD)
    assert WRONG in response.content.decode() and not is_signed_in(client)


@pytest.mark.parametrize("host", ["localhost", "portal.localhost", "reseller.localhost", "vendor.localhost"])
def test_login_page_renders_in_the_portal_layout_without_sign_up(client, host):
    response = client.get("/accounts/login/", HTTP_HOST=host)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert response.context["portal_layout"] == f"layouts/{response.context['portal']}.html"
    assert f"<span>{response.context['portal_name']}</span>" in html  # the portal header
    for field in ("id_login", "id_password", "id_remember"):
        assert re.search(rf'<label[^>]*for="{field}"|<label[^>]*>\s*<input[^>]*id="{field}"', html), field
    assert "/accounts/signup/" not in html and "sign up" not in html.lower()
    assert 'href="/accounts/password/reset/"' in html


def test_sign_up_is_closed(client, db):
    response = client.get("/accounts/signup/", HTTP_HOST="portal.localhost")
    html = response.content.decode()
    assert "Sign-up is closed" in html and 'name="password1"' not in html
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": "pw-New-123456", "password2": "pw-New-123456"},
        HTTP_HOST="portal.localhost",
    )
    assert not is_signed_in(client)
    assert not User.objects.filter(email="new@example.com").exists()


def test_session_cookies_are_host_only(customer):
    """The browser's rule: a cookie set without Domain goes back only to the host that set it."""
    assert settings.SESSION_COOKIE_DOMAIN is None and settings.CSRF_COOKIE_DOMAIN is None
    client, response = sign_in("portal.localhost", customer.email, PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value and cookie["domain"] == ""

    jar = CookieJar()  # the standard library's RFC 6265-style cookie store stands in for the browser
    headers = Message()
    for morsel in response.cookies.values():
        headers["Set-Cookie"] = morsel.OutputString()
    jar.extract_cookies(_FakeResponse(headers), Request("http://portal.localhost/accounts/login/"))

    for host, signed_in in [("portal.localhost", True), ("localhost", False), ("reseller.localhost", False)]:
        outgoing = Request(f"http://{host}/")
        jar.add_cookie_header(outgoing)
        browser = Client(HTTP_HOST=host)
        if outgoing.get_header("Cookie"):
            browser.cookies.load(outgoing.get_header("Cookie"))
        response = browser.get("/")
        assert (response.status_code == 200) is signed_in, host
        if not signed_in:
            assert response["Location"] == "/accounts/login/?next=/"  # anonymous there, not merely refused


def test_a_session_carried_to_another_host_is_still_refused(customer):
    """Defence in depth: even a leaked portal session cookie opens nothing on the staff host."""
    client, _response = sign_in("portal.localhost", customer.email, PASSWORD)
    assert client.get("/", HTTP_HOST="localhost").status_code == 403
    assert client.get("/", HTTP_HOST="reseller.localhost").status_code == 403


def test_sign_out_page_and_sign_out(customer):
    client, _response = sign_in("portal.localhost", customer.email, PASSWORD)
    page = client.get("/accounts/logout/")
    assert page.status_code == 200 and page.content.decode().count("<h1") == 1
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert not is_signed_in(client)


class _FakeResponse:
    def __init__(self, headers: Message):
        self._headers = headers

    def info(self) -> Message:
        return self._headers


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("host", "path", "page"),
    [("localhost", "/accounts/?search=zebra", "/accounts/"), ("portal.localhost", "/", "/?tab=2")],
)
def test_an_htmx_request_after_the_session_ended_sends_the_whole_page_to_the_login(client, host, path, page):
    response = client.get(
        path,
        HTTP_HOST=host,
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://{host}{page}",
    )
    # Not a 302 that htmx would follow, swapping the login page into the fragment's place.
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == f"/accounts/login/?next={page.replace('?', '%3F').replace('=', '%3D')}"
    plain = client.get(path, HTTP_HOST=host)
    assert plain.status_code == 302 and plain["Location"].startswith("/accounts/login/?next=")
