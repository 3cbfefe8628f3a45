"""Staff console (localhost): dashboard and accounts — list, search, filters, detail, forms, status, invitations."""

import json
import re

import pytest
from django.contrib.gis.geos import Point
from django.core import mail
from django.utils import timezone
from django.utils.html import escape

from crm.choices import AccountKind, AccountStatus
from crm.models import Account, CustomerUser
from omni.models import User
from omni.tasks import invitation_send_task
from tests.celery_support import run_published
from tests.crm.factories import AccountFactory, ContactFactory, ResellerFactory, link
from tests.notifications.email_support import free_port
from tests.omni.factories import StaffFactory, customer_for

HX = {"HTTP_HX_REQUEST": "true"}


def _form(**overrides):
    data = {
        "name": "Lekki Fibre Homes",
        "kind": AccountKind.RESIDENTIAL,
        "status": AccountStatus.ACTIVE,
        "email": "lekki@example.com",
        "phone": "0803 123 4567",
        "service_address": "12 Admiralty Way, Lekki",
        "billing_address": "",
        "latitude": "6.4474",
        "longitude": "3.4703",
        "reseller": "",
        "tags": "Fiber, VIP, fiber",
        "notes": "",
    }
    return {**data, **overrides}


# ---- access ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/accounts/", "/accounts/new/"])
def test_customer_session_on_staff_host_is_forbidden(client_as, customer, path):
    response = client_as(customer).get(path)
    assert response.status_code == 403


def test_customer_cannot_open_an_account_page_on_staff_host(client_as, customer, account):
    assert client_as(customer).get(f"/accounts/{account.pk}/").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/accounts/", HTTP_HOST="localhost")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/accounts/")


def test_staff_without_account_permission_gets_403_and_a_plain_dashboard(client_as, db):
    nobody = StaffFactory(email="nobody@example.com", roles=[])
    client = client_as(nobody)
    assert client.get("/accounts/").status_code == 403
    response = client.get("/")
    assert response.status_code == 200
    assert "account-status-chart" not in response.content.decode()
    assert 'href="/accounts/"' not in response.content.decode()  # no Accounts link in the menu


def test_agent_cannot_delete_accounts(client_as, agent, account):
    response = client_as(agent).post(f"/accounts/{account.pk}/delete/")
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.deleted_at is None


def test_view_only_staff_cannot_create_or_edit(client_as, account, db):
    technician = StaffFactory(email="tech@example.com", roles=["Technician"])
    client = client_as(technician)
    assert client.get(f"/accounts/{account.pk}/").status_code == 200
    assert client.get("/accounts/new/").status_code == 403
    assert client.post(f"/accounts/{account.pk}/edit/", _form()).status_code == 403
    assert client.post(f"/accounts/{account.pk}/transition/", {"to": "suspended"}).status_code == 403
    account.refresh_from_db()
    assert account.name != "Lekki Fibre Homes" and account.status == AccountStatus.ACTIVE


# ---- dashboard ---------------------------------------------------------------------------------------------


def test_dashboard_shows_counts_recent_accounts_and_map_points(client_as, agent):
    AccountFactory.create_batch(3, status=AccountStatus.ACTIVE)
    AccountFactory(status=AccountStatus.SUSPENDED, location=None, name="Unlocated Ltd")
    AccountFactory(status=AccountStatus.ACTIVE, deleted_at=timezone.now(), name="Gone Ltd")
    newest = AccountFactory(status=AccountStatus.PROSPECT, name="Newest Prospect", location=Point(3.5, 6.6))

    response = client_as(agent).get("/")
    html = response.content.decode()

    assert response.status_code == 200
    counts = {row["status"]: row["count"] for row in response.context["by_status"]}
    assert counts == {"prospect": 1, "active": 3, "suspended": 1, "closed": 0}
    assert response.context["total"] == 5
    assert "5 live accounts" in html
    assert response.context["recent"][0] == newest
    assert "Gone Ltd" not in html
    points = json.loads(re.search(r'<script id="account-points" type="application/json">(.*?)</script>', html)[1])
    assert len(points) == 4  # the unlocated and the deleted account are not on the map
    point = next(p for p in points if p["id"] == str(newest.pk))
    assert (point["number"], point["lat"], point["lon"]) == (newest.number, 6.6, 3.5)
    assert "vendor/leaflet/images/marker-icon.png" in html  # the hashed-name icon fix


# ---- list ----------------------------------------------------------------------------------------------------


def test_list_shows_accounts_with_badges_and_leaves_deleted_out(client_as, agent):
    live = AccountFactory(name="Alpha Networks", status=AccountStatus.SUSPENDED)
    deleted = AccountFactory(name="Beta Deleted", deleted_at=timezone.now())

    response = client_as(agent).get("/accounts/")
    html = response.content.decode()

    assert response.status_code == 200
    assert live.number in html and deleted.number not in html
    row = next(row for row in re.findall(r"<tr\b.*?</tr>", html, re.S) if live.number in row)
    assert ">Suspended</span>" in row  # the status badge of the account's own row


@pytest.mark.parametrize("term", ["name", "number", "number_lower", "email", "phone"])
def test_search_finds_an_account(client_as, agent, term):
    wanted = AccountFactory(name="Lekki Fibre Homes", email="lekki@example.com", phone="+2348031239999")
    other = AccountFactory(name="Ikeja Offices")
    query = {
        "name": "fibre hom",
        "number": wanted.number,
        "number_lower": wanted.number.lower(),
        "email": "LEKKI@",
        "phone": "0803 123 9999",
    }[term]

    response = client_as(agent).get("/accounts/", {"search": query})

    assert [a.pk for a in response.context["page"]] == [wanted.pk]
    assert other.number not in response.content.decode()


def test_filters_by_status_kind_reseller_tag_and_location(client_as, agent):
    partner = ResellerFactory(name="Partner One")
    a = AccountFactory(status=AccountStatus.ACTIVE, kind=AccountKind.BUSINESS, reseller=partner, tags=["vip"])
    b = AccountFactory(status=AccountStatus.SUSPENDED, kind=AccountKind.RESIDENTIAL, location=None)
    c = AccountFactory(status=AccountStatus.CLOSED, kind=AccountKind.BUSINESS)
    client = client_as(agent)

    def found(params):
        return {x.pk for x in client.get("/accounts/", params).context["page"]}

    assert found({"status": ["active", "suspended"]}) == {a.pk, b.pk}
    assert found({"kind": "business"}) == {a.pk, c.pk}
    assert found({"reseller": str(partner.pk)}) == {a.pk}
    assert found({"tag": "VIP"}) == {a.pk}
    assert found({"has_location": "false"}) == {b.pk}
    assert found({"status": "closed", "kind": "business"}) == {c.pk}


def test_show_deleted_toggle_lists_only_deleted(client_as, agent):
    live = AccountFactory()
    gone = AccountFactory(deleted_at=timezone.now())

    response = client_as(agent).get("/accounts/", {"deleted": "true"})

    assert [a.pk for a in response.context["page"]] == [gone.pk]
    html = response.content.decode()
    assert gone.number in html and live.number not in html
    assert 'name="deleted" value="true" checked' in html


def test_htmx_filtering_returns_only_the_table(client_as, agent):
    AccountFactory(name="Lekki Fibre Homes")

    response = client_as(agent).get("/accounts/", {"search": "lekki"}, **HX)
    html = response.content.decode()

    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="account-table"')
    assert "<html" not in html and "Lekki Fibre Homes" in html
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_sorting_and_paging(client_as, agent):
    for i in range(30):
        AccountFactory(name=f"Account {i:02d}")
    client = client_as(agent)

    first = client.get("/accounts/", {"sort": "-name"})
    assert [a.name for a in first.context["page"]][:2] == ["Account 29", "Account 28"]
    assert 'aria-sort="descending"' in first.content.decode()
    second = client.get("/accounts/", {"sort": "-name", "page": 2}, **HX)
    assert [a.name for a in second.context["page"]] == [f"Account {i:02d}" for i in (4, 3, 2, 1, 0)]


def test_bad_sort_or_filter_is_400_naming_it(client_as, agent):
    AccountFactory()
    client = client_as(agent)

    bad_sort = client.get("/accounts/", {"sort": "password"})
    assert bad_sort.status_code == 400
    assert "Cannot sort by password" in bad_sort.content.decode()

    bad_status = client.get("/accounts/", {"status": "bogus"}, **HX)
    assert bad_status.status_code == 422
    assert "status:" in bad_status.content.decode() and "bogus" in bad_status.content.decode()


@pytest.mark.parametrize("rows", [10, 500])
def test_list_query_count_does_not_grow(client_as, agent, rows, django_assert_max_num_queries):
    resellers = ResellerFactory.create_batch(3)
    Account.objects.bulk_create(
        [AccountFactory.build(reseller=resellers[i % 3], tags=["fiber", f"t{i}"]) for i in range(rows)]
    )
    client = client_as(agent)

    # user, its permissions (direct + groups), count, the page (reseller joined), the reseller filter's options
    with django_assert_max_num_queries(6):
        response = client.get("/accounts/", {"sort": "reseller"})

    assert response.status_code == 200
    assert len(response.context["page"]) == min(rows, 25)
    first = min(resellers, key=lambda reseller: reseller.name)  # sorted by reseller: the first page is theirs
    assert response.content.decode().count(first.name) >= 2  # the rows do show reseller names (and the filter)


# ---- detail --------------------------------------------------------------------------------------------------


def test_detail_shows_fields_map_contacts_portal_users_and_history(client_as, agent, customer, account):
    contact = ContactFactory(first_name="Ada", last_name="Obi")
    link(contact, account, role="billing")
    client = client_as(agent)
    client.post(f"/accounts/{account.pk}/edit/", _form(name="Renamed Homes", tags="fiber"))

    response = client.get(f"/accounts/{account.pk}/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "Renamed Homes" in html and account.number in html
    assert 'id="account-map"' in html and 'data-lat="6.447400"' in html
    assert "Ada Obi" in html and "Billing" in html
    assert customer.email in html
    history = response.context["history"]
    assert history[0]["user"] == agent
    changed = {c["field"]: (c["old"], c["new"]) for c in history[0]["changes"]}
    assert changed["name"] == (account.name, "Renamed Homes")
    assert history[-1]["kind"] == "+"
    assert escape(agent.get_full_name()) in html


def test_detail_of_unknown_account_is_404(client_as, agent):
    assert client_as(agent).get("/accounts/00000000-0000-0000-0000-000000000000/").status_code == 404


# ---- create / edit -------------------------------------------------------------------------------------------


def test_create_redirects_to_detail_and_saves_location(client_as, agent):
    partner = ResellerFactory()
    client = client_as(agent)

    response = client.post("/accounts/new/", _form(reseller=str(partner.pk)))

    account = Account.objects.get(name="Lekki Fibre Homes")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{account.pk}/"
    assert (round(account.location.y, 4), round(account.location.x, 4)) == (6.4474, 3.4703)
    assert account.reseller == partner
    assert account.tags == ["fiber", "vip"]
    assert str(account.phone) == "+2348031234567"
    page = client.get(response["Location"])
    assert "Lekki Fibre Homes" in page.content.decode()
    assert f"Account {account.number} created." in page.content.decode()


def test_create_without_location_saves_none(client_as, agent):
    client_as(agent).post("/accounts/new/", _form(latitude="", longitude=""))
    assert Account.objects.get(name="Lekki Fibre Homes").location is None


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"name": ""}, "name", "This field is required."),
        ({"longitude": ""}, "longitude", "Give both latitude and longitude"),
        ({"latitude": "95"}, "latitude", "less than or equal to 90"),
        ({"phone": "12"}, "phone", "Enter a valid phone number"),
        ({"tags": "x" * 51}, "tags", "A tag has at most 50 characters."),  # raised by the service
    ],
)
def test_invalid_create_shows_errors_and_saves_nothing(client_as, agent, overrides, field, message):
    response = client_as(agent).post("/accounts/new/", _form(**overrides))

    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Account.objects.exists()


def test_create_form_renders_map_picker(client_as, agent):
    AccountFactory(location=Point(3.3, 6.5))
    response = client_as(agent).get("/accounts/new/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="location-map"' in html and 'id="id_latitude"' in html and 'id="id_longitude"' in html
    assert "tile.openstreetmap.org" in html
    assert json.loads(re.search(r'<script id="map-extent" type="application/json">(.*?)</script>', html)[1]) == [
        3.3, 6.5, 3.3, 6.5,
    ]  # fmt: skip


def test_edit_prefills_and_saves(client_as, agent):
    account = AccountFactory(name="Old Name", tags=["fiber"], location=Point(3.1, 6.2))
    client = client_as(agent)

    form = client.get(f"/accounts/{account.pk}/edit/").context["form"]
    assert form.initial["latitude"] == pytest.approx(6.2) and form.initial["tags"] == "fiber"

    response = client.post(f"/accounts/{account.pk}/edit/", _form(name="New Name", latitude="7", longitude="4"))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "New Name" and (account.location.y, account.location.x) == (7, 4)


def test_edit_with_a_forbidden_status_change_shows_it_on_the_status_field(client_as, agent):
    account = AccountFactory(status=AccountStatus.PROSPECT, name="Keep Me")

    response = client_as(agent).post(
        f"/accounts/{account.pk}/edit/", _form(name="Changed", status=AccountStatus.SUSPENDED)
    )

    assert response.status_code == 422
    assert "cannot change from Prospect to Suspended" in response.context["form"].errors["status"][0]
    account.refresh_from_db()
    assert (account.name, account.status) == ("Keep Me", AccountStatus.PROSPECT)  # nothing half-saved


# ---- status, delete, restore ---------------------------------------------------------------------------------


def test_transition_changes_status(client_as, agent, account):
    client = client_as(agent)
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    assert 'name="to" value="suspended"' in page and 'name="to" value="prospect"' not in page

    response = client.post(f"/accounts/{account.pk}/transition/", {"to": "suspended"}, follow=True)

    account.refresh_from_db()
    assert account.status == AccountStatus.SUSPENDED
    assert f"Account {account.number} is now Suspended." in response.content.decode()


def test_forbidden_transition_is_an_error_message(client_as, agent):
    account = AccountFactory(status=AccountStatus.ACTIVE)

    response = client_as(agent).post(f"/accounts/{account.pk}/transition/", {"to": "prospect"}, follow=True)

    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert "The status cannot change from Active to Prospect." in response.content.decode()
    assert "border-red-300" in response.content.decode()


def test_unknown_transition_target_is_400(client_as, agent, account):
    response = client_as(agent).post(f"/accounts/{account.pk}/transition/", {"to": "exploded"})
    assert response.status_code == 400


def test_delete_and_restore(client_as, sales, account):
    client = client_as(sales)

    deleted = client.post(f"/accounts/{account.pk}/delete/", follow=True)
    account.refresh_from_db()
    assert account.deleted_at is not None
    assert "Restore" in deleted.content.decode()
    assert account.number not in client.get("/accounts/").content.decode()

    client.post(f"/accounts/{account.pk}/restore/")
    account.refresh_from_db()
    assert account.deleted_at is None
    assert account.number in client.get("/accounts/").content.decode()

    # Both show in the audit history although deleted_at is not an editable field.
    history = client.get(f"/accounts/{account.pk}/").context["history"]
    deleted_changes = [c for entry in history for c in entry["changes"] if c["field"] == "deleted_at"]
    assert [bool(c["new"]) for c in deleted_changes] == [False, True]  # newest first: restored, deleted


def test_delete_needs_post(client_as, sales, account):
    assert client_as(sales).get(f"/accounts/{account.pk}/delete/").status_code == 405


# ---- invitations ---------------------------------------------------------------------------------------------


def test_invite_emails_a_portal_link_and_a_second_invite_is_a_conflict(
    client_as, agent, account, django_capture_on_commit_callbacks
):
    contact = ContactFactory()
    link(contact, account)
    client = client_as(agent)
    data = {"email": "New.Person@Example.com", "full_name": "New Person", "contact": str(contact.pk)}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/accounts/{account.pk}/invite/", data, **HX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="account-portal-users"')
    assert "Invitation sent to new.person@example.com." in html
    user = User.objects.get(email="new.person@example.com")
    assert not user.has_usable_password()
    assert CustomerUser.objects.get(user=user).account == account
    assert CustomerUser.objects.get(user=user).contact == contact
    assert "Invited, no password yet" in html and "Resend invitation" in html
    assert len(run_published(invitation_send_task, str(user.pk))) == 1  # the worker's job
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.person@example.com"]
    assert re.search(r"http://portal\.localhost(:\d+)?/accounts/password/reset/key/\S+", mail.outbox[0].body)

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(f"/accounts/{account.pk}/invite/", {"email": "new.person@example.com"}, **HX)

    assert again.status_code == 422
    assert "A user with email new.person@example.com already exists." in again.content.decode()
    assert again.context["invite_form"].errors["email"]
    assert run_published(invitation_send_task, str(user.pk)) == []
    assert CustomerUser.objects.filter(account=account).count() == 1


def test_invite_without_htmx_redirects_with_a_message(client_as, agent, account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(agent).post(f"/accounts/{account.pk}/invite/", {"email": "plain@example.com"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/accounts/{account.pk}/"
    assert "Invitation sent to plain@example.com." in response.content.decode()
    user = User.objects.get(email="plain@example.com")
    assert len(run_published(invitation_send_task, str(user.pk))) == 1
    assert len(mail.outbox) == 1


def test_an_invite_while_the_mail_server_is_down_still_succeeds(
    client_as, agent, account, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 1  # nothing there
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(agent).post(f"/accounts/{account.pk}/invite/", {"email": "later@example.com"}, **HX)
    assert response.status_code == 200
    assert "Invitation sent to later@example.com." in response.content.decode()
    user = User.objects.get(email="later@example.com")
    # The worker retries with a backoff, then gives up; staff can resend it.
    assert [result.state for result in run_published(invitation_send_task, str(user.pk))] == ["FAILURE"]


def test_resend_invitation_queues_it_again_until_a_password_is_chosen(
    client_as, agent, account, django_capture_on_commit_callbacks
):
    user = customer_for(account, email="slow@example.com", password=None)
    run_published(invitation_send_task, str(user.pk))  # the first invitation
    url = f"/accounts/{account.pk}/invite/{user.pk}/resend/"
    client = client_as(agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, **HX)
    assert response.status_code == 200
    assert "Invitation sent again to slow@example.com." in response.content.decode()
    assert len(run_published(invitation_send_task, str(user.pk))) == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["slow@example.com"]

    user.set_password("pw-Slow-12345")
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        conflict = client.post(url, **HX)
    assert conflict.status_code == 409
    html = conflict.content.decode()
    assert html.lstrip().startswith('<section id="account-portal-users"')
    assert 'role="alert"' in html and "has already chosen a password" in html
    assert "Resend invitation" not in html and "Never signed in" in html
    assert run_published(invitation_send_task, str(user.pk)) == []


def test_resend_is_only_for_this_accounts_users_and_their_editors(client_as, agent, account, other_account):
    user = customer_for(other_account, email="elsewhere@example.com", password=None)
    assert client_as(agent).post(f"/accounts/{account.pk}/invite/{user.pk}/resend/", **HX).status_code == 404
    mine = customer_for(account, email="mine@example.com", password=None)
    dispatcher = StaffFactory(email="dispatch@example.com", roles=["Dispatcher"])  # may view, not change
    assert client_as(dispatcher).post(f"/accounts/{account.pk}/invite/{mine.pk}/resend/", **HX).status_code == 403
    page = client_as(dispatcher).get(f"/accounts/{account.pk}/").content.decode()
    assert "Invited, no password yet" in page and "Resend invitation" not in page


def test_invite_with_bad_email_is_422(client_as, agent, account):
    response = client_as(agent).post(f"/accounts/{account.pk}/invite/", {"email": "not-an-email"})
    assert response.status_code == 422
    assert "Enter a valid email address." in response.content.decode()
    assert not CustomerUser.objects.exists()


def test_deleted_account_cannot_invite(client_as, agent):
    gone = AccountFactory(deleted_at=timezone.now())
    assert client_as(agent).post(f"/accounts/{gone.pk}/invite/", {"email": "x@example.com"}).status_code == 404
