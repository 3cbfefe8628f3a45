"""Password reset: the email's link is on the user's own portal host, and the pages render in its layout."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from omni.choices import Audience
from omni.hosts import portal_base_url

HOST = "portal.localhost"
NEW_PASSWORD = "pw-Brand-New-4821"


def request_reset(client: Client, email: str):
    return client.post("/accounts/password/reset/", {"email": email})


def reset_link(message) -> str:
    return re.search(r"https?://\S+/accounts/password/reset/key/\S+", message.body).group(0)


def test_customer_reset_email_links_to_the_customer_portal(customer):
    client = Client(HTTP_HOST=HOST)
    response = request_reset(client, customer.email)
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/done/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [customer.email]
    link = urlsplit(reset_link(mail.outbox[0]))
    assert f"{link.scheme}://{link.netloc}" == portal_base_url(Audience.CUSTOMER)
    assert link.hostname == HOST
    assert mail.outbox[0].subject.endswith("Reset your password")
    assert "If you did not ask for this, ignore this email" in mail.outbox[0].body


@pytest.mark.parametrize("asked_on", ["localhost", "reseller.localhost"])
def test_reset_asked_on_another_host_still_links_to_the_users_portal(customer, asked_on):
    request_reset(Client(HTTP_HOST=asked_on), customer.email)
    assert len(mail.outbox) == 1
    assert urlsplit(reset_link(mail.outbox[0])).hostname == HOST


def test_customer_resets_the_password_and_signs_in_with_it(customer):
    client = Client(HTTP_HOST=HOST)
    request_reset(client, customer.email)
    link = urlsplit(reset_link(mail.outbox[0]))

    stage = client.get(link.path)  # allauth moves the key into the session, then shows the form
    assert stage.status_code == 302
    form = client.get(stage["Location"])
    html = form.content.decode()
    assert form.status_code == 200 and html.count("<h1") == 1 and "Choose a new password" in html
    assert '<label for="id_password1"' in html and '<label for="id_password2"' in html

    mismatch = client.post(stage["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 200 and 'id="id_password2_error"' in mismatch.content.decode()

    done = client.post(stage["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/key/done/"
    assert "Password changed" in client.get(done["Location"]).content.decode()

    signed_in = Client(HTTP_HOST=HOST)
    response = signed_in.post("/accounts/login/", {"login": customer.email, "password": NEW_PASSWORD})
    assert response["Location"] == "/" and signed_in.session["_auth_user_id"] == str(customer.pk)


def test_a_used_or_forged_link_says_so(customer):
    client = Client(HTTP_HOST=HOST)
    response = client.get("/accounts/password/reset/key/zz-not-a-real-key/")
    html = response.content.decode()
    assert response.status_code == 200 and html.count("<h1") == 1
    assert "This link no longer works" in html and 'href="/accounts/password/reset/"' in html
    assert 'name="password1"' not in html


@pytest.mark.parametrize("host", ["localhost", "portal.localhost", "reseller.localhost", "vendor.localhost"])
def test_reset_pages_render_in_each_portal_layout(db, host):
    client = Client(HTTP_HOST=host)
    page = client.get("/accounts/password/reset/")
    html = page.content.decode()
    assert page.status_code == 200 and html.count("<h1") == 1
    assert '<label for="id_email"' in html
    assert page.context["portal_layout"] == f"layouts/{page.context['portal']}.html"
    assert "sign up" not in html.lower() and "/accounts/signup/" not in html

    done = client.get("/accounts/password/reset/done/")
    assert done.status_code == 200 and done.content.decode().count("<h1") == 1


def test_unknown_email_gets_the_same_answer(db):
    client = Client(HTTP_HOST=HOST)
    response = request_reset(client, "nobody@example.com")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/done/"
    assert all("/accounts/password/reset/key/" not in m.body for m in mail.outbox)
