"""Staff console (localhost): partners — resellers and vendors, one set of pages. Who may open and post each page
(every staff role, portal users, anonymous), the list (search, filters, pages, account counts, a fixed number of
queries), the detail (a reseller's accounts, portal users, invitations), the forms, switching off and on, and
assigning accounts to resellers that are switched on only."""

import re

import pytest
from django.core import mail

from crm.models import Account, Reseller, ResellerUser
from omni.models import User
from omni.services import partner_active_set, partner_user_create
from omni.tasks import invitation_send_task
from tests.celery_support import run_published
from tests.crm.factories import AccountFactory, ResellerFactory
from tests.omni.factories import StaffFactory
from workforce.models import Vendor, VendorUser

HX = {"HTTP_HX_REQUEST": "true"}
ROLES = ["Agent", "Dispatcher", "Technician", "Inventory manager", "Sales", "Admin"]
# Who holds what (crm/apps.py, workforce/apps.py; Admin holds every permission).
MAY = {
    ("resellers", "view"): {"Agent", "Dispatcher", "Technician", "Sales", "Admin"},
    ("resellers", "add"): {"Sales", "Admin"},
    ("resellers", "change"): {"Sales", "Admin"},
    ("vendors", "view"): {"Dispatcher", "Technician", "Admin"},
    ("vendors", "add"): {"Admin"},
    ("vendors", "change"): {"Dispatcher", "Admin"},
}


@pytest.fixture
def orgs(reseller_org, vendor_org):
    return {"resellers": reseller_org, "vendors": vendor_org}


def _pages(kind: str, org) -> list[tuple[str, str, str, dict | None]]:
    """(verb needed, method, url, body) of every partner page."""
    base = f"/partners/{kind}/"
    return [
        ("view", "get", base, None),
        ("view", "get", f"{base}{org.pk}/", None),
        ("add", "get", f"{base}new/", None),
        ("add", "post", f"{base}new/", {"name": "Brand New Partner"}),
        ("change", "get", f"{base}{org.pk}/edit/", None),
        ("change", "post", f"{base}{org.pk}/edit/", {"name": "Renamed Partner"}),
        ("change", "post", f"{base}{org.pk}/active/", {"active": "false"}),
        ("change", "post", f"{base}{org.pk}/invite/", {"email": "invited@example.com"}),
    ]


def _state():
    rows = [list(Reseller.objects.order_by("pk").values()), list(Vendor.objects.order_by("pk").values())]
    return rows + [list(User.objects.order_by("pk").values_list("pk", "is_active"))]


# ---- access ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["resellers", "vendors"])
@pytest.mark.parametrize("role", [*ROLES, None])
def test_each_role_gets_exactly_what_its_permissions_allow(client_as, orgs, kind, role):
    client = client_as(StaffFactory(roles=[role] if role else []))
    for verb, method, url, body in _pages(kind, orgs[kind]):
        before = _state()
        response = getattr(client, method)(url, body) if body is not None else client.get(url)
        allowed = role in MAY[(kind, verb)]
        expected = (302 if method == "post" else 200) if allowed else 403
        assert response.status_code == expected, (role, method, url, response.status_code)
        if not allowed:
            assert _state() == before, (role, url)  # a refused post changed nothing
        orgs[kind].refresh_from_db()
        if not orgs[kind].is_active:
            partner_active_set(type(orgs[kind]), partner_id=orgs[kind].pk, active=True)


@pytest.mark.parametrize("who", ["customer", "reseller", "vendor"])
def test_portal_users_are_refused_on_the_staff_host(request, client_as, orgs, who):
    client = client_as(request.getfixturevalue(who))
    before = _state()
    for kind in orgs:
        for _verb, method, url, body in _pages(kind, orgs[kind]):
            response = getattr(client, method)(url, body) if body is not None else client.get(url)
            assert response.status_code == 403, (who, url)
    assert client.get("/partners/").status_code == 403
    assert _state() == before


def test_anonymous_users_are_sent_to_sign_in_and_unknown_kinds_are_404(client, client_as, admin_user, orgs):
    for url in ("/partners/", "/partners/resellers/", f"/partners/vendors/{orgs['vendors'].pk}/"):
        response = client.get(url, HTTP_HOST="localhost")
        assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url}"
    response = client.post(
        f"/partners/resellers/{orgs['resellers'].pk}/active/", {"active": "false"}, HTTP_HOST="localhost"
    )
    assert response.status_code == 302 and Reseller.objects.get().is_active
    staff = client_as(admin_user)
    assert staff.get("/partners/customers/").status_code == 404
    assert staff.get(f"/partners/vendors/{orgs['resellers'].pk}/").status_code == 404  # a reseller is no vendor


def test_the_partners_link_shows_for_view_reseller_or_view_vendor_and_goes_to_what_they_may_see(client_as, db):
    for role, target in [
        ("Agent", "/partners/resellers/"),
        ("Technician", "/partners/resellers/"),
        ("Admin", "/partners/resellers/"),
    ]:
        client = client_as(StaffFactory(roles=[role]))
        assert 'href="/partners/"' in client.get("/").content.decode(), role
        assert client.get("/partners/")["Location"] == target
    vendor_only = StaffFactory(roles=[])
    vendor_only.user_permissions.add(*_perms("workforce.view_vendor"))
    client = client_as(vendor_only)
    assert 'href="/partners/"' in client.get("/").content.decode()
    assert client.get("/partners/")["Location"] == "/partners/vendors/"
    html = client.get("/partners/vendors/").content.decode()
    assert 'href="/partners/resellers/"' not in html  # no tab for what they may not see
    client = client_as(StaffFactory(roles=["Inventory manager"]))
    assert 'href="/partners/"' not in client.get("/").content.decode()
    assert client.get("/partners/").status_code == 403


def _perms(*names):
    from django.contrib.auth.models import Permission

    return [Permission.objects.get(content_type__app_label=n.split(".")[0], codename=n.split(".")[1]) for n in names]


def test_staff_without_change_see_no_edit_buttons(client_as, orgs):
    client = client_as(StaffFactory(roles=["Agent"]))  # views resellers, changes none
    html = client.get(f"/partners/resellers/{orgs['resellers'].pk}/").content.decode()
    assert "Switch off" not in html and "/edit/" not in html and "Send invitation" not in html
    assert "New reseller" not in client.get("/partners/resellers/").content.decode()
    sales = client_as(StaffFactory(roles=["Sales"]))
    html = sales.get(f"/partners/resellers/{orgs['resellers'].pk}/").content.decode()
    assert (
        "Switch off" in html
        and f"/partners/resellers/{orgs['resellers'].pk}/edit/" in html
        and "Send invitation" in html
    )
    assert "New reseller" in sales.get("/partners/resellers/").content.decode()


# ---- list --------------------------------------------------------------------------------------------------


def test_list_searches_filters_and_counts_accounts_and_portal_users(client_as, sales, reseller, reseller_org):
    AccountFactory.create_batch(3, reseller=reseller_org)
    AccountFactory(reseller=reseller_org).delete()  # hard-deleted: gone
    gone = AccountFactory(reseller=reseller_org)
    Account.objects.filter(pk=gone.pk).update(deleted_at=gone.created_at)  # soft-deleted: not counted
    off = ResellerFactory(name="Dormant Networks", email="hello@dormant.example.com", is_active=False)
    client = client_as(sales)
    page = client.get("/partners/resellers/")
    assert page.status_code == 200
    rows = {row.name: (row.account_count, row.portal_user_count) for row in page.context["page"]}
    assert rows == {reseller_org.name: (3, 1), off.name: (0, 0)}
    assert [r.name for r in client.get("/partners/resellers/", {"search": "DORMANT.example"}).context["page"]] == [
        off.name
    ]
    assert [r.name for r in client.get("/partners/resellers/", {"is_active": "false"}).context["page"]] == [off.name]
    assert [r.name for r in client.get("/partners/resellers/", {"sort": "-accounts"}).context["page"]] == [
        reseller_org.name,
        off.name,
    ]
    partial = client.get("/partners/resellers/", {"search": "dormant"}, **HX)
    assert partial.content.decode().lstrip().startswith('<section id="partner-table"')
    assert "Switched off" in partial.content.decode()
    bad = client.get("/partners/resellers/", {"sort": "password"})
    assert bad.status_code == 400 and "Cannot sort by password" in bad.content.decode()
    assert client.get("/partners/vendors/", {"sort": "accounts"}, HTTP_HOST="localhost").status_code == 403  # Sales


@pytest.mark.parametrize("rows", [10, 200])
def test_reseller_list_queries_do_not_grow(client_as, sales, rows, django_assert_max_num_queries):
    resellers = Reseller.objects.bulk_create(ResellerFactory.build_batch(rows))
    Account.objects.bulk_create([AccountFactory.build(reseller=resellers[i % rows]) for i in range(2 * rows)])
    client = client_as(sales)
    # session, user, its permissions (direct + groups), count, the page (with both counts as subqueries)
    with django_assert_max_num_queries(6):
        response = client.get("/partners/resellers/", {"sort": "-accounts"})
    assert response.status_code == 200
    page = list(response.context["page"])
    assert len(page) == min(rows, 25) and {row.account_count for row in page} == {2}


@pytest.mark.parametrize("rows", [10, 200])
def test_vendor_list_queries_do_not_grow(client_as, admin_user, rows, django_assert_max_num_queries):
    Vendor.objects.bulk_create([Vendor(name=f"Vendor {i:04d}") for i in range(rows)])
    client = client_as(admin_user)
    with django_assert_max_num_queries(6):
        response = client.get("/partners/vendors/", {"sort": "-users"})
    assert response.status_code == 200
    assert len(response.context["page"]) == min(rows, 25)


def test_pages_keep_the_filters(client_as, sales):
    Reseller.objects.bulk_create([Reseller(name=f"Acme {i:02d}") for i in range(30)])
    client = client_as(sales)
    first = client.get("/partners/resellers/", {"search": "acme"})
    assert first.context["page"].paginator.count == 30
    assert 'href="/partners/resellers/?search=acme&amp;page=2"' in first.content.decode()
    second = client.get("/partners/resellers/", {"search": "acme", "page": 2})
    assert [r.name for r in second.context["page"]] == [f"Acme {i:02d}" for i in range(25, 30)]


# ---- detail ------------------------------------------------------------------------------------------------


def test_reseller_detail_shows_its_accounts_with_their_count_and_its_portal_users(
    client_as, agent, reseller, reseller_org
):
    own = AccountFactory.create_batch(2, reseller=reseller_org)
    other = AccountFactory(reseller=ResellerFactory(name="Rival Networks"))
    page = client_as(agent).get(f"/partners/resellers/{reseller_org.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "2 accounts" in html
    assert all(account.number in html for account in own) and other.number not in html
    assert reseller.email in html and "Never signed in" in html


def test_a_vendor_page_has_no_accounts(client_as, admin_user, vendor, vendor_org):
    html = client_as(admin_user).get(f"/partners/vendors/{vendor_org.pk}/").content.decode()
    assert vendor.email in html and "accounts-heading" not in html and "Accounts" not in html.split("<main")[-1]


def test_reseller_detail_with_many_accounts_links_to_the_accounts_list(client_as, agent, reseller_org):
    Account.objects.bulk_create([AccountFactory.build(reseller=reseller_org) for _ in range(55)])
    html = client_as(agent).get(f"/partners/resellers/{reseller_org.pk}/").content.decode()
    assert "55 accounts" in html and f'href="/accounts/?reseller={reseller_org.pk}"' in html
    assert html.count('href="/accounts/') >= 50


# ---- forms -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["resellers", "vendors"])
def test_create_then_edit(client_as, admin_user, kind):
    model = {"resellers": Reseller, "vendors": Vendor}[kind]
    client = client_as(admin_user)
    assert client.get(f"/partners/{kind}/new/").status_code == 200
    data = {"name": "Kano Wireless", "email": "ops@kano.example.com", "phone": "0803 123 4567", "notes": "North"}
    response = client.post(f"/partners/{kind}/new/", data)
    partner = model.objects.get(name="Kano Wireless")
    assert response["Location"] == f"/partners/{kind}/{partner.pk}/"
    assert (str(partner.phone), partner.email, partner.notes) == ("+2348031234567", "ops@kano.example.com", "North")
    assert partner.history.first().history_user == admin_user
    edit = client.get(f"/partners/{kind}/{partner.pk}/edit/")
    assert edit.context["form"].initial["name"] == "Kano Wireless"
    response = client.post(f"/partners/{kind}/{partner.pk}/edit/", {**data, "name": "Kano Wireless Ltd", "phone": ""})
    assert response.status_code == 302
    partner.refresh_from_db()
    assert (partner.name, str(partner.phone)) == ("Kano Wireless Ltd", "")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "lagos CONNECT"}, "name", "A reseller named lagos CONNECT already exists."),
        ({"name": "Fine", "email": "nope"}, "email", "Enter a valid email address."),
        ({"name": "Fine", "phone": "12"}, "phone", "Enter a valid phone number"),
    ],
)
def test_invalid_input_is_422_naming_the_field_and_saves_nothing(client_as, sales, data, field, message):
    ResellerFactory(name="Lagos Connect")
    client = client_as(sales)
    before = _state()
    response = client.post("/partners/resellers/new/", data)
    assert response.status_code == 422
    assert any(message in error for error in response.context["form"].errors[field])
    assert _state() == before
    other = ResellerFactory(name="Other")
    response = client.post(f"/partners/resellers/{other.pk}/edit/", {"name": "Fine", **data})
    assert response.status_code == 422 and response.context["form"].errors[field]


# ---- switching off and on ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["resellers", "vendors"])
def test_switching_off_cuts_its_portal_users_off_and_on_brings_them_back(
    request, client_as, admin_user, orgs, kind, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(kind.removesuffix("s"))
    org = orgs[kind]
    host = f"{kind.removesuffix('s')}.localhost"
    portal = client_as(user, host=host)
    assert portal.get("/").status_code == 200
    staff = client_as(admin_user)
    page = staff.get(f"/partners/{kind}/{org.pk}/").content.decode()
    assert 'name="active" value="false"' in page and "data-question=" in page  # asks first
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/partners/{kind}/{org.pk}/active/", {"active": "false"}, follow=True)
    assert f"{org.name} is switched off; its portal users cannot sign in." in response.content.decode()
    assert "Off with the organisation" in response.content.decode()
    assert portal.get("/").status_code == 302  # signed out at their next request
    assert User.objects.filter(pk=user.pk, is_active=False, suspended_with_org=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"/partners/{kind}/{org.pk}/active/", {"active": "true"})
    org.refresh_from_db()
    assert org.is_active and User.objects.get(pk=user.pk).is_active
    assert staff.post(f"/partners/{kind}/{org.pk}/active/", {"active": "maybe"}).status_code == 400
    assert staff.get(f"/partners/{kind}/{org.pk}/active/").status_code == 405


# ---- invitations ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "membership"), [("resellers", ResellerUser), ("vendors", VendorUser)])
def test_invite_emails_a_portal_link_and_a_second_invite_is_a_conflict(
    client_as, admin_user, orgs, kind, membership, django_capture_on_commit_callbacks
):
    org = orgs[kind]
    client = client_as(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/partners/{kind}/{org.pk}/invite/", {"email": "New@Example.com", "full_name": "New"}, **HX
        )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section id="partner-portal-users"')
    assert "Invitation sent to new@example.com." in html and "Resend invitation" in html
    user = User.objects.get(email="new@example.com")
    assert not user.has_usable_password() and membership.objects.get(user=user).pk
    assert getattr(membership.objects.get(user=user), membership.partner_field().name) == org
    assert len(run_published(invitation_send_task, str(user.pk))) == 1
    host = kind.removesuffix("s")
    assert re.search(rf"http://{host}\.localhost(:\d+)?/accounts/password/reset/key/\S+", mail.outbox[-1].body)

    again = client.post(f"/partners/{kind}/{org.pk}/invite/", {"email": "new@example.com"}, **HX)
    assert again.status_code == 422 and "A user with email new@example.com already exists." in again.content.decode()
    bad = client.post(f"/partners/{kind}/{org.pk}/invite/", {"email": "nope"})
    assert bad.status_code == 422 and bad.context["invite_form"].errors["email"]

    with django_capture_on_commit_callbacks(execute=True):
        resent = client.post(f"/partners/{kind}/{org.pk}/invite/{user.pk}/resend/", **HX)
    assert resent.status_code == 200 and "Invitation sent again to new@example.com." in resent.content.decode()
    assert len(run_published(invitation_send_task, str(user.pk))) == 1
    stranger = partner_user_create(
        type(org), partner_id=type(org).objects.create(name="Elsewhere").pk, email="x@example.com"
    )
    assert client.post(f"/partners/{kind}/{org.pk}/invite/{stranger.pk}/resend/").status_code == 404


def test_a_user_invited_to_a_switched_off_partner_starts_off(client_as, sales, reseller_org):
    partner_active_set(Reseller, partner_id=reseller_org.pk, active=False)
    client_as(sales).post(f"/partners/resellers/{reseller_org.pk}/invite/", {"email": "late@example.com"})
    assert User.objects.filter(email="late@example.com", is_active=False, suspended_with_org=True).exists()


# ---- assigning accounts --------------------------------------------------------------------------------------


def _account_form(**overrides):
    data = {"name": "Lekki Fibre Homes", "kind": "residential", "status": "active", "email": "", "phone": "",
            "service_address": "", "billing_address": "", "latitude": "", "longitude": "", "reseller": "",
            "tags": "", "notes": ""}  # fmt: skip
    return {**data, **overrides}


def test_the_account_form_offers_active_resellers_and_refuses_a_switched_off_one(client_as, agent, reseller_org):
    off = ResellerFactory(name="Dormant Networks", is_active=False)
    client = client_as(agent)
    form = client.get("/accounts/new/").context["form"]
    assert list(form.fields["reseller"].queryset) == [reseller_org]
    response = client.post("/accounts/new/", _account_form(reseller=str(off.pk)))
    assert response.status_code == 422 and response.context["form"].errors["reseller"]
    assert not Account.objects.exists()
    response = client.post("/accounts/new/", _account_form(reseller=str(reseller_org.pk)))
    account = Account.objects.get()
    assert response.status_code == 302 and account.reseller == reseller_org
    # switched off later: the account keeps it, its edit form still offers it, and saving leaves it
    partner_active_set(Reseller, partner_id=reseller_org.pk, active=False)
    edit = client.get(f"/accounts/{account.pk}/edit/")
    assert list(edit.context["form"].fields["reseller"].queryset) == [reseller_org]
    response = client.post(
        f"/accounts/{account.pk}/edit/", _account_form(name="Renamed", reseller=str(reseller_org.pk))
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.reseller) == ("Renamed", reseller_org)
    response = client.post(f"/accounts/{account.pk}/edit/", _account_form(reseller=str(off.pk)))
    assert response.status_code == 422 and response.context["form"].errors["reseller"]
