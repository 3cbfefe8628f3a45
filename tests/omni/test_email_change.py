"""A sign-in email changes only once the new address is verified: from the user's own email page (allauth,
ACCOUNT_CHANGE_EMAIL) and from the admin alike. Until then the old address is the one that signs in."""

import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from omni.models import User
from tests.omni.factories import PASSWORD

HOST = "portal.localhost"
NEW = "new.address@example.com"


def sign_in(email: str, host: str = HOST) -> Client:
    client = Client(HTTP_HOST=host)
    client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    return client


def signs_in(email: str, host: str = HOST) -> bool:
    return "_auth_user_id" in sign_in(email, host).session


def confirmation_link(message) -> str:
    return re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)


def email_of(user) -> str:
    return User.objects.values_list("email", flat=True).get(pk=user.pk)


def test_a_customer_changes_their_email_only_by_following_the_link_sent_to_the_new_one(customer):
    client = sign_in(customer.email)
    assert 'href="/accounts/email/"' in client.get("/").content.decode()  # in the user menu
    page = client.get("/accounts/email/")
    assert page.status_code == 200 and page.context["portal_layout"] == "layouts/customer.html"
    assert page.content.decode().count("<h1") == 1

    response = client.post("/accounts/email/", {"action_add": "", "email": NEW})
    assert response.status_code == 302
    assert email_of(customer) == customer.email  # nothing changes yet
    assert [message.to for message in mail.outbox] == [[NEW]]
    link = urlsplit(confirmation_link(mail.outbox[0]))
    assert f"{link.scheme}://{link.netloc}" == "http://portal.localhost:8000"

    # Neither making the unverified address primary nor removing the current one gets round the link.
    client.post("/accounts/email/", {"action_primary": "", "email": NEW})
    client.post("/accounts/email/", {"action_remove": "", "email": customer.email})
    assert email_of(customer) == customer.email
    assert signs_in(customer.email) and not signs_in(NEW)

    confirm = Client(HTTP_HOST=HOST)  # the link works in any browser: it proves the mailbox, not the session
    assert confirm.get(link.path).status_code == 200
    assert confirm.post(link.path).status_code == 302
    assert email_of(customer) == NEW
    assert list(EmailAddress.objects.filter(user=customer).values_list("email", "primary", "verified")) == [
        (NEW, True, True)
    ]
    assert signs_in(NEW) and not signs_in(customer.email)


def test_cancelling_a_pending_change_keeps_the_email(customer):
    client = sign_in(customer.email)
    client.post("/accounts/email/", {"action_add": "", "email": NEW})
    client.post("/accounts/email/", {"action_remove": "", "email": NEW})
    link = urlsplit(confirmation_link(mail.outbox[0]))
    assert Client(HTTP_HOST=HOST).post(link.path).status_code == 404  # the pending address is gone
    assert email_of(customer) == customer.email


def test_an_address_taken_meanwhile_is_refused_at_confirmation(customer):
    client = sign_in(customer.email)
    client.post("/accounts/email/", {"action_add": "", "email": NEW})
    User.objects.create_user(NEW, PASSWORD)  # staff gave the address to someone else since
    link = urlsplit(confirmation_link(mail.outbox[0]))
    response = Client(HTTP_HOST=HOST).post(link.path, follow=True)
    assert response.status_code == 200
    assert f"{NEW} is already used by another account." in response.content.decode()
    assert email_of(customer) == customer.email


def admin_change(client, user, **changes):
    form = client.get(f"/admin/omni/user/{user.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(groups=[], user_permissions=[], last_login_0="", last_login_1="")
    data.update({name: "on" for name in ("is_active", "is_staff", "is_superuser") if data.pop(name, False)})
    data.update(changes)
    return client.post(f"/admin/omni/user/{user.pk}/change/", data, follow=True)


def test_an_email_changed_in_the_admin_waits_for_the_user_to_verify_it(customer, admin_user, client_as):
    response = admin_change(client_as(admin_user), customer, email=NEW.upper(), full_name="Renamed")
    assert response.status_code == 200
    assert f"A link was sent to {NEW}" in response.content.decode()
    customer.refresh_from_db()
    assert (customer.email, customer.full_name) == ("customer@example.com", "Renamed")  # the rest is saved
    assert [message.to for message in mail.outbox] == [[NEW]]
    link = urlsplit(confirmation_link(mail.outbox[0]))
    assert link.hostname == HOST  # on the customer's portal, although asked on the staff host

    Client(HTTP_HOST=HOST).post(link.path)
    assert email_of(customer) == NEW and signs_in(NEW)


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("Agent@Example.com", "A user with email agent@example.com already exists."),
        ("not-an-email", "Enter a valid email"),
    ],
)
def test_the_admin_refuses_a_taken_or_bad_address(customer, agent, admin_user, client_as, email, error):
    response = admin_change(client_as(admin_user), customer, email=email)
    assert error in response.content.decode()
    assert email_of(customer) == customer.email and mail.outbox == []


def test_the_admin_cannot_mark_an_address_verified(customer, admin_user, client_as):
    client = sign_in(customer.email)
    client.post("/accounts/email/", {"action_add": "", "email": NEW})
    pending = EmailAddress.objects.get(user=customer, email=NEW)
    admin = client_as(admin_user)
    changelist = admin.get("/admin/account/emailaddress/")
    assert changelist.status_code == 200 and "make_verified" not in changelist.content.decode()
    response = admin.post(f"/admin/account/emailaddress/{pending.pk}/change/", {"verified": "on", "email": NEW})
    assert response.status_code == 403
    admin.post("/admin/account/emailaddress/", {"action": "make_verified", "_selected_action": [pending.pk]})
    pending.refresh_from_db()
    assert not pending.verified
    client.post("/accounts/email/", {"action_primary": "", "email": NEW})
    assert email_of(customer) == customer.email
