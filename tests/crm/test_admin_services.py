"""Admin writes go through crm.services: the same history, events and checks as the console and the API."""

import pytest
from django.core import mail

from crm.choices import AccountStatus
from crm.models import Account, AccountContact, Contact, Reseller, ResellerUser
from crm.services import account_transition, contact_delete, contact_merge
from notifications.models import OutboxEvent
from omni.models import User
from tests.admin_support import admin_form_data
from tests.crm.factories import AccountFactory, ContactFactory, link


@pytest.fixture
def admin(admin_user, client_as):
    return client_as(admin_user)


def recorded(record_id) -> list[tuple]:
    """The domain events recorded in the outbox for one record: event, who caused it, who may be told, the
    payload's fields, and the values of those an edit here sets (the rest differ between two factory rows)."""
    return [
        (event, actor_id, permission, sorted(data), {k: data[k] for k in ("name", "tags", "status", "kind")})
        for event, actor_id, permission, data in OutboxEvent.objects.filter(data__id=str(record_id))
        .order_by("created_at")
        .values_list("event", "actor_id", "permission", "data")
    ]


def history(account) -> list[tuple]:
    return list(account.history.order_by("history_date").values_list("history_type", "history_user", "name", "tags"))


def test_an_admin_edit_of_an_account_records_what_the_same_api_edit_records(admin, admin_user, api_as):
    by_api, by_admin = AccountFactory(name="Old", tags=["fiber"]), AccountFactory(name="Old", tags=["fiber"])
    response = api_as(admin_user).patch(
        f"/api/v1/crm/accounts/{by_api.pk}/", {"name": "New name", "tags": ["VIP", " vip ", "Fiber"]}
    )
    assert response.status_code == 200

    page = admin.get(f"/admin/crm/account/{by_admin.pk}/change/")
    data = admin_form_data(page, name="New name", tags="VIP, vip ,Fiber")
    response = admin.post(f"/admin/crm/account/{by_admin.pk}/change/", data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors

    assert recorded(by_admin.pk) == recorded(by_api.pk)
    assert [(event, actor) for event, actor, *_ in recorded(by_admin.pk)] == [("crm.account.updated", admin_user.pk)]
    by_api.refresh_from_db()
    by_admin.refresh_from_db()
    assert by_admin.tags == by_api.tags == ["vip", "fiber"]  # the service's tag rules, not the form's
    assert history(by_admin)[1:] == history(by_api)[1:] == [("~", admin_user.pk, "New name", ["vip", "fiber"])]


def test_an_account_added_in_the_admin_is_created_by_the_service(admin, admin_user):
    page = admin.get("/admin/crm/account/add/")
    data = admin_form_data(page, name="Added", kind="business", tags="Gold, GOLD")
    response = admin.post("/admin/crm/account/add/", data)
    account = Account.objects.get(name="Added")
    assert response.status_code == 302 and response["Location"] == "/admin/crm/account/"
    assert account.tags == ["gold"] and account.number.startswith("ACC-")
    assert history(account) == [("+", admin_user.pk, "Added", ["gold"])]
    [(event, actor, permission, _fields, data)] = recorded(account.pk)
    assert (event, actor, permission, data["name"]) == (
        "crm.account.created",
        admin_user.pk,
        "crm.view_account",
        "Added",
    )


def test_deleting_an_account_in_the_admin_is_the_services_restorable_delete(admin, admin_user):
    account = AccountFactory()
    page = admin.get(f"/admin/crm/account/{account.pk}/delete/")
    assert page.status_code == 200
    response = admin.post(f"/admin/crm/account/{account.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    account.refresh_from_db()  # still there, restorable
    assert account.deleted_at is not None
    assert account.history.latest().history_user_id == admin_user.pk

    other = AccountFactory()
    admin.post("/admin/crm/account/", {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"})
    other.refresh_from_db()
    assert other.deleted_at is not None


def test_contacts_are_deleted_and_restored_by_the_actions_and_a_merged_one_stays_deleted(admin, admin_user):
    plain, kept = ContactFactory(first_name="Plain", last_name="One"), ContactFactory()
    merged = ContactFactory(first_name="Merged", last_name="Two")
    response = admin.post(
        "/admin/crm/contact/", {"action": "soft_delete", "_selected_action": [plain.pk, merged.pk]}, follow=True
    )
    assert "2 contact(s) deleted." in response.content.decode()
    assert Contact.objects.deleted().count() == 2
    contact_merge(survivor_id=kept.pk, duplicate_ids=[merged.pk])

    response = admin.post(
        "/admin/crm/contact/", {"action": "restore", "_selected_action": [plain.pk, merged.pk]}, follow=True
    )
    html = response.content.decode()
    assert "Merged Two: This contact was merged into another; it cannot be restored." in html
    assert "1 contact(s) restored." in html
    assert list(Contact.objects.deleted()) == [merged]
    assert plain.history.latest().history_user_id == admin_user.pk
    events = OutboxEvent.objects.filter(data__id=str(plain.pk)).order_by("created_at")
    assert list(events.values_list("event", "actor_id")) == [
        ("crm.contact.deleted", admin_user.pk),
        ("crm.contact.updated", admin_user.pk),
    ]


def test_an_invalid_status_transition_through_the_admin_is_refused_with_a_message(admin):
    account = AccountFactory()
    account_transition(account_id=account.pk, to=AccountStatus.CLOSED)
    rows = account.history.count()
    response = admin.post("/admin/crm/account/", {"action": "suspend", "_selected_action": [account.pk]}, follow=True)
    assert "The status cannot change from Closed to Suspended." in response.content.decode()
    account.refresh_from_db()
    assert account.status == AccountStatus.CLOSED and account.history.count() == rows


def test_a_link_the_service_refuses_rolls_back_the_whole_admin_save(admin):
    account = AccountFactory(name="Before")
    gone = ContactFactory()
    contact_delete(contact_id=gone.pk)
    page = admin.get(f"/admin/crm/account/{account.pk}/change/")
    data = admin_form_data(
        page,
        name="After",
        **{
            "contact_links-TOTAL_FORMS": "1",
            "contact_links-0-contact": str(gone.pk),
            "contact_links-0-account": str(account.pk),
            "contact_links-0-role": "billing",
        },
    )
    response = admin.post(f"/admin/crm/account/{account.pk}/change/", data, follow=True)
    assert "This contact is deleted; restore it first." in response.content.decode()
    account.refresh_from_db()
    assert account.name == "Before" and not AccountContact.objects.filter(account=account).exists()


def test_links_edited_in_the_admin_go_through_the_link_services(admin):
    account = AccountFactory()
    kept, dropped, added = ContactFactory(), ContactFactory(), ContactFactory()
    link(kept, account)
    link(dropped, account)
    page = admin.get(f"/admin/crm/account/{account.pk}/change/")
    rows = {
        form.instance.contact_id: index
        for index, form in enumerate(page.context["inline_admin_formsets"][0].formset.forms)
    }
    data = admin_form_data(
        page,
        **{
            f"contact_links-{rows[kept.pk]}-role": "technical",
            f"contact_links-{rows[dropped.pk]}-DELETE": "on",
            "contact_links-TOTAL_FORMS": "3",
            "contact_links-2-contact": str(added.pk),
            "contact_links-2-account": str(account.pk),
            "contact_links-2-role": "billing",
        },
    )
    response = admin.post(f"/admin/crm/account/{account.pk}/change/", data)
    assert response.status_code == 302
    assert dict(AccountContact.objects.filter(account=account).values_list("contact_id", "role")) == {
        kept.pk: "technical",
        added.pk: "billing",
    }


def test_a_contact_edited_in_the_admin_meets_the_services_rules(admin, admin_user):
    contact = ContactFactory(email="a@example.com")
    page = admin.get(f"/admin/crm/contact/{contact.pk}/change/")
    response = admin.post(
        f"/admin/crm/contact/{contact.pk}/change/",
        admin_form_data(page, first_name="Ada", other_emails="A@example.com, B@Example.com"),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.first_name == "Ada" and contact.other_emails == ["b@example.com"]  # the primary one is dropped
    assert contact.history.latest().history_user_id == admin_user.pk
    admin.post(f"/admin/crm/contact/{contact.pk}/delete/", {"post": "yes"})
    assert Contact.objects.get(pk=contact.pk).deleted_at is not None


def test_switching_a_reseller_off_in_the_admin_cuts_its_users_off(
    admin, reseller_org, reseller, django_capture_on_commit_callbacks
):
    page = admin.get(f"/admin/crm/reseller/{reseller_org.pk}/change/")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/admin/crm/reseller/{reseller_org.pk}/change/", admin_form_data(page, is_active=None))
    assert response.status_code == 302
    reseller.refresh_from_db()
    assert (reseller.is_active, reseller.suspended_with_org) == (False, True)

    admin.post("/admin/crm/reseller/", {"action": "switch_on", "_selected_action": [reseller_org.pk]})
    reseller.refresh_from_db()
    assert (reseller.is_active, reseller.suspended_with_org) == (True, False)


def test_portal_users_are_invited_from_the_reseller_through_the_service(
    admin, reseller_org, reseller, django_capture_on_commit_callbacks
):
    page = admin.get(f"/admin/crm/reseller/{reseller_org.pk}/change/")
    assert reseller.email in page.content.decode()  # the current users, to look at
    invite = page.context["inline_admin_formsets"][1].formset.prefix
    data = admin_form_data(
        page, **{f"{invite}-TOTAL_FORMS": "1", f"{invite}-0-email": "New@Partner.example", f"{invite}-0-full_name": "N"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/admin/crm/reseller/{reseller_org.pk}/change/", data)
    assert response.status_code == 302
    user = User.objects.get(email="new@partner.example")
    assert user.audience == "reseller" and not user.has_usable_password()  # invited: chooses a password by link
    assert ResellerUser.objects.get(user=user).reseller == reseller_org

    taken = admin_form_data(page, **{f"{invite}-TOTAL_FORMS": "1", f"{invite}-0-email": reseller.email})
    response = admin.post(f"/admin/crm/reseller/{reseller_org.pk}/change/", taken)
    assert (
        response.status_code == 200
        and f"A user with email {reseller.email} already exists." in response.content.decode()
    )
    assert ResellerUser.objects.filter(reseller=reseller_org).count() == 2


def test_memberships_cannot_be_made_or_moved_around_the_services(admin, reseller_org, reseller):
    membership = ResellerUser.objects.get(user=reseller)
    assert admin.get("/admin/crm/reselleruser/add/").status_code == 403
    other = Reseller.objects.create(name="Other")
    response = admin.post(
        f"/admin/crm/reselleruser/{membership.pk}/change/", {"user": reseller.pk, "reseller": other.pk}
    )
    assert response.status_code == 403
    assert ResellerUser.objects.get(user=reseller).reseller == reseller_org


def test_the_admin_adds_staff_only_portal_users_are_invited(admin):
    page = admin.get("/admin/omni/user/add/")
    data = admin_form_data(
        page, email="p@example.com", audience="customer", password1="pw-Add-12345!", password2="pw-Add-12345!"
    )
    response = admin.post("/admin/omni/user/add/", data)
    assert "Invite portal users from their account, reseller or vendor." in response.content.decode()
    assert not User.objects.filter(email="p@example.com").exists() and mail.outbox == []


def test_deleting_a_reseller_in_the_admin_deactivates_its_users(admin, reseller_org, reseller):
    assert admin.get(f"/admin/crm/reseller/{reseller_org.pk}/delete/").status_code == 200
    response = admin.post(f"/admin/crm/reseller/{reseller_org.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Reseller.objects.filter(pk=reseller_org.pk).exists()
    reseller.refresh_from_db()
    assert not reseller.is_active
