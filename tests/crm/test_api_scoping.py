"""Each audience's token sees exactly its own rows through the CRM API; out of scope is 404, never 403."""

import pytest

from tests.crm.factories import AccountFactory, ContactFactory, ResellerFactory, link
from tests.omni.api_contract import assert_error

ACCOUNTS = "/api/v1/crm/accounts/"
CONTACTS = "/api/v1/crm/contacts/"
RESELLERS = "/api/v1/crm/resellers/"


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def both(account, other_account, customer, other_customer):
    account.name, other_account.name = "Alpha Home", "Zulu Bakery"
    account.save()
    other_account.save()
    return account, other_account


# ---- customers -----------------------------------------------------------------------------------------


def test_customer_lists_only_its_account(api_as, customer, both):
    account, other = both
    client = api_as(customer)
    response = client.get(ACCOUNTS)
    assert _ids(response) == {str(account.pk)}
    assert response.json()["count"] == 1
    assert_error(client.get(f"{ACCOUNTS}{other.pk}/"), 404)
    assert _ids(client.get(ACCOUNTS, {"search": "Zulu"})) == set()
    assert _ids(client.get(ACCOUNTS, {"search": other.number})) == set()
    assert _ids(client.get(ACCOUNTS, {"deleted": "true"})) == set()
    assert _ids(client.get(ACCOUNTS, {"status": "active", "ordering": "name"})) == {str(account.pk)}


def test_customer_cannot_act_on_the_other_account(api_as, customer, both):
    _account, other = both
    client = api_as(customer)
    for response in (  # portal tokens are read-only: refused before the row is even looked up
        client.patch(f"{ACCOUNTS}{other.pk}/", {"name": "Mine now"}),
        client.post(f"{ACCOUNTS}{other.pk}/transition/", {"status": "closed"}),
        client.delete(f"{ACCOUNTS}{other.pk}/"),
    ):
        assert_error(response, 403, code="permission_denied")
    other.refresh_from_db()
    assert other.name == "Zulu Bakery" and other.status == "active" and other.deleted_at is None


def test_customer_sees_only_contacts_of_its_account(api_as, customer, both):
    account, other = both
    mine = ContactFactory(first_name="Mine")
    link(mine, account)
    theirs = ContactFactory(first_name="Theirs")
    link(theirs, other)
    unlinked = ContactFactory(first_name="Nobody")
    client = api_as(customer)
    assert _ids(client.get(CONTACTS)) == {str(mine.pk)}
    assert_error(client.get(f"{CONTACTS}{theirs.pk}/"), 404)
    assert_error(client.get(f"{CONTACTS}{unlinked.pk}/"), 404)
    assert _ids(client.get(CONTACTS, {"search": "Theirs"})) == set()
    assert _ids(client.get(CONTACTS, {"account": str(other.pk)})) == set()


def test_a_shared_contact_shows_only_the_customers_account(api_as, customer, other_customer, admin_user, both):
    account, other = both
    shared = ContactFactory(first_name="Shared")
    link(shared, account, "billing")
    link(shared, other, "technical")
    for user, visible in ((customer, account), (other_customer, other)):
        client = api_as(user)
        row = client.get(CONTACTS).json()["results"][0]
        detail = client.get(f"{CONTACTS}{shared.pk}/").json()
        assert row == detail
        assert [a["account"]["id"] for a in detail["accounts"]] == [str(visible.pk)]
        assert "notes" not in detail and "merged_into" not in detail
    staff = api_as(admin_user).get(f"{CONTACTS}{shared.pk}/").json()
    assert {a["account"]["id"] for a in staff["accounts"]} == {str(account.pk), str(other.pk)}


def test_a_deleted_contact_disappears_for_the_customer(api_as, admin_user, customer, account):
    contact = ContactFactory()
    link(contact, account)
    api_as(admin_user).delete(f"{CONTACTS}{contact.pk}/")
    assert _ids(api_as(customer).get(CONTACTS)) == set()
    assert_error(api_as(customer).get(f"{CONTACTS}{contact.pk}/"), 404)


# ---- resellers -----------------------------------------------------------------------------------------


def test_reseller_sees_only_its_resellers_accounts(api_as, reseller, reseller_org, account):
    own = AccountFactory.create_batch(2, reseller=reseller_org)
    AccountFactory(reseller=ResellerFactory(name="Rival"))
    client = api_as(reseller)
    assert _ids(client.get(ACCOUNTS)) == {str(a.pk) for a in own}
    assert_error(client.get(f"{ACCOUNTS}{account.pk}/"), 404)
    assert client.get(f"{ACCOUNTS}{own[0].pk}/").json()["reseller"] == {
        "id": str(reseller_org.pk),
        "name": reseller_org.name,
    }
    assert _ids(client.get(ACCOUNTS, {"search": account.name})) == set()
    assert_error(client.patch(f"{ACCOUNTS}{own[0].pk}/", {"name": "x"}), 403)


def test_reseller_sees_contacts_of_its_accounts_only(api_as, reseller, reseller_org, account):
    own = AccountFactory(reseller=reseller_org)
    theirs = ContactFactory()
    link(theirs, own)
    link(theirs, account)
    elsewhere = ContactFactory()
    link(elsewhere, account)
    client = api_as(reseller)
    assert _ids(client.get(CONTACTS)) == {str(theirs.pk)}
    assert [a["account"]["id"] for a in client.get(f"{CONTACTS}{theirs.pk}/").json()["accounts"]] == [str(own.pk)]
    assert_error(client.get(f"{CONTACTS}{elsewhere.pk}/"), 404)


def test_resellers_endpoint_is_scoped(api_as, admin_user, reseller, reseller_org, customer):
    rival = ResellerFactory()
    assert _ids(api_as(admin_user).get(RESELLERS)) == {str(reseller_org.pk), str(rival.pk)}
    assert _ids(api_as(reseller).get(RESELLERS)) == {str(reseller_org.pk)}
    assert_error(api_as(reseller).get(f"{RESELLERS}{rival.pk}/"), 404)
    body = assert_error(api_as(customer).get(RESELLERS), 403)  # customers never see resellers
    assert body["detail"] == "Customer users may not use this resource."


# ---- vendors and others --------------------------------------------------------------------------------


def test_vendor_sees_no_accounts_or_contacts(api_as, vendor, account):
    """Vendors see projects and work orders, never accounts or contacts: the resources refuse their audience."""
    contact = ContactFactory()
    link(contact, account)
    client = api_as(vendor)
    body = assert_error(client.get(ACCOUNTS), 403)
    assert body["detail"] == "Vendor users may not use this resource."
    assert_error(client.get(f"{ACCOUNTS}{account.pk}/"), 403)
    assert_error(client.get(CONTACTS), 403)
    assert_error(client.get(f"{CONTACTS}{contact.pk}/"), 403)
    assert_error(client.post(ACCOUNTS, {"name": "Vendor made"}), 403)


def test_a_deactivated_users_token_is_refused(api_as, customer, account):
    customer.is_active = False
    customer.save()
    assert_error(api_as(customer).get(ACCOUNTS), 401)
