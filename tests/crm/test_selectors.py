"""crm.selectors: one selector per audience, rows shaped exactly like the serializers, fixed query counts."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from crm import selectors
from crm.api.serializers import AccountOut, AccountPortalOut, ContactOut, ContactPortalOut
from crm.models import Account, Contact
from tests.crm.factories import AccountFactory, ContactFactory, ResellerFactory, link

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _utc():
    # The API prints UTC; serializers follow the active time zone, rows are rendered as UTC by orjson.
    with timezone.override(datetime.UTC):
        yield


def _json(data):
    """What the API renderer makes of a value (UUIDs and datetimes as strings)."""
    import orjson

    from omni.api.renderers import OrjsonRenderer

    return orjson.loads(OrjsonRenderer().render(data))


@pytest.mark.parametrize(("internal", "serializer"), [(True, AccountOut), (False, AccountPortalOut)])
def test_account_rows_match_the_serializer(internal, serializer):
    reseller = ResellerFactory()
    accounts = [
        AccountFactory(reseller=reseller, tags=["a", "b"], notes="n"),
        AccountFactory(location=None, phone="", email="", tags=[]),
        AccountFactory(deleted_at=timezone.now()),
    ]
    queryset = Account.objects.filter(pk__in=[a.pk for a in accounts]).order_by("created_at")
    rows = selectors.account_rows(queryset, internal=internal)
    detail = [serializer(a).data for a in selectors.account_list_for_staff(user=None).order_by("created_at")]
    assert _json(rows) == _json(detail)


@pytest.mark.parametrize(("internal", "serializer"), [(True, ContactOut), (False, ContactPortalOut)])
def test_contact_rows_match_the_serializer(admin_user, internal, serializer):
    account = AccountFactory()
    merged_into = ContactFactory()
    contacts = [
        ContactFactory(other_emails=["x@example.com"], other_phones=["+2348051234567"], notes="n"),
        ContactFactory(phone="", time_zone="Africa/Lagos", merged_into=merged_into, deleted_at=timezone.now()),
    ]
    link(contacts[0], account, "billing")
    ids = [c.pk for c in contacts]
    rows = selectors.contact_rows(
        Contact.objects.filter(pk__in=ids).order_by("created_at"), user=admin_user, internal=internal
    )
    links = selectors.contact_links_visible_to(user=admin_user, contact_ids=ids)
    detail = [
        serializer(c, context={"links": links}).data for c in Contact.objects.filter(pk__in=ids).order_by("created_at")
    ]
    assert _json(rows) == _json(detail)
    assert rows[0]["accounts"][0]["role"] == "billing"


def test_selectors_give_nothing_to_anonymous_inactive_and_unknown_audiences(customer, vendor, account):
    contact = ContactFactory()
    link(contact, account)
    assert selectors.account_list_visible_to(user=AnonymousUser()).count() == 0
    assert selectors.contact_list_visible_to(user=AnonymousUser()).count() == 0
    assert selectors.account_list_visible_to(user=vendor).count() == 0
    assert selectors.contact_list_visible_to(user=vendor).count() == 0
    assert selectors.account_list_visible_to(user=customer).count() == 1
    customer.is_active = False
    assert selectors.account_list_visible_to(user=customer).count() == 0
    assert selectors.contact_list_visible_to(user=customer).count() == 0


def test_contact_links_hide_other_and_deleted_accounts(customer, admin_user, account, other_account):
    contact = ContactFactory()
    link(contact, account)
    link(contact, other_account)
    gone = AccountFactory(deleted_at=timezone.now())
    link(contact, gone)
    mine = selectors.contact_links_visible_to(user=customer, contact_ids=[contact.pk])[contact.pk]
    assert [entry["account"]["id"] for entry in mine] == [account.pk]
    staff = selectors.contact_links_visible_to(user=admin_user, contact_ids=[contact.pk])[contact.pk]
    assert {entry["account"]["id"] for entry in staff} == {account.pk, other_account.pk}


def test_live_and_deleted_split_the_rows_also_through_relations(account):
    gone = AccountFactory(deleted_at=timezone.now())
    contact = ContactFactory()
    link(contact, account)
    link(contact, gone)
    assert list(Account.objects.live().filter(pk__in=[account.pk, gone.pk])) == [account]
    assert list(Account.objects.deleted()) == [gone]
    assert list(contact.accounts.live()) == [account] and list(contact.accounts.deleted()) == [gone]


def test_account_counts_by_status_is_one_query(agent, django_assert_num_queries):
    AccountFactory.create_batch(3, status="active")
    AccountFactory(status="suspended")
    AccountFactory(status="closed", deleted_at=timezone.now())
    with django_assert_num_queries(1):
        counts = selectors.account_counts_by_status(user=agent)
    assert counts == {"active": 3, "suspended": 1}


def test_contact_duplicates_of_matches_primary_and_other_values():
    first = ContactFactory(email="Dup@Example.com", phone="+2348030000001")
    second = ContactFactory(email="other@example.com", other_emails=["dup@example.com"])
    third = ContactFactory(email="x@example.com", other_phones=["+2348030000001"])
    ContactFactory(email="dup@example.com", deleted_at=timezone.now())
    found = list(selectors.contact_duplicates_of(email="DUP@example.com"))
    assert found == [first, second]
    assert list(selectors.contact_duplicates_of(phone="+2348030000001", exclude_id=first.pk)) == [third]
    assert list(selectors.contact_duplicates_of()) == []


@pytest.mark.parametrize("groups", [2, 40])
def test_contact_duplicate_groups_queries_do_not_grow(groups, django_assert_max_num_queries):
    for n in range(groups):
        ContactFactory.create_batch(2, email=f"same{n}@example.com")
    ContactFactory.create_batch(3, phone="+2348039999999")
    with django_assert_max_num_queries(4):
        found = selectors.contact_duplicate_groups(limit=100)
        sizes = [(group["kind"], group["size"], len(group["contacts"])) for group in found]
        for group in found:
            for contact in group["contacts"]:
                list(contact.accounts.all())
    assert sizes[0] == ("phone", 3, 3)
    assert sorted(sizes[1:]) == [("email", 2, 2)] * groups


def test_event_payloads_are_the_records_as_the_api_shows_them_to_staff(api_as, admin_user, account):
    from crm import services
    from notifications.models import OutboxEvent

    gone = AccountFactory()
    contact = ContactFactory(other_phones=["+2348051234567"], notes="n")
    link(contact, gone)
    services.account_delete(account_id=gone.pk)  # the deleted account's link is left out, as in the API
    services.account_update(account_id=account.pk, name="Renamed", notes="vip")
    services.contact_link_account(contact_id=contact.pk, account_id=account.pk, role="billing")
    api = api_as(admin_user)
    shown_contact = api.get(f"/api/v1/crm/contacts/{contact.pk}/").json()
    shown_account = api.get(f"/api/v1/crm/accounts/{account.pk}/").json()
    assert [link["account"]["id"] for link in shown_contact["accounts"]] == [str(account.pk)]

    [contact_event] = OutboxEvent.objects.filter(event="crm.contact.updated", data__id=str(contact.pk))
    [account_event] = OutboxEvent.objects.filter(event="crm.account.updated", data__id=str(account.pk))
    assert contact_event.data == selectors.contact_payload(contact.pk) == shown_contact
    assert account_event.data == selectors.account_payload(account.pk) == shown_account
