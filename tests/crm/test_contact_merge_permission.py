"""Merging contacts deletes the duplicates, so it needs crm.delete_contact as well as crm.change_contact: in the
API (POST /api/v1/crm/contacts/{id}/merge/) and in the staff console (/contacts/duplicates/merge/). An Agent
(change, not delete) is refused and nothing changes; Sales (both) merges."""

import pytest

from crm.models import AccountContact, Contact
from tests.crm.factories import AccountFactory, ContactFactory, link
from tests.omni.api_contract import assert_error

CONTACTS = "/api/v1/crm/contacts/"


@pytest.fixture
def pair(db):
    keep = ContactFactory(first_name="Ada", email="ada@example.com", phone="")
    dup = ContactFactory(first_name="Adaeze", email="ADA@example.com", phone="+2348030000001")
    link(keep, AccountFactory())
    link(dup, AccountFactory())
    return keep, dup


def _state():
    return (
        sorted(Contact.objects.values_list("pk", "deleted_at", "merged_into_id", "phone", "updated_at")),
        sorted(AccountContact.objects.values_list("pk", "contact_id", "account_id", "role")),
    )


def test_the_agent_role_may_change_but_not_delete_contacts(agent):
    assert agent.has_perm("crm.change_contact") and not agent.has_perm("crm.delete_contact")


def test_api_merge_without_delete_contact_is_403_and_changes_nothing(api_as, agent, pair):
    keep, dup = pair
    before = _state()
    response = api_as(agent).post(f"{CONTACTS}{keep.pk}/merge/", {"duplicates": [str(dup.pk)]})
    body = assert_error(response, 403, code="permission_denied")
    assert body["detail"] == "Your role may not delete contacts."
    assert _state() == before


def test_api_merge_with_change_and_delete_merges(api_as, sales, pair):
    keep, dup = pair
    response = api_as(sales).post(f"{CONTACTS}{keep.pk}/merge/", {"duplicates": [str(dup.pk)]})
    assert response.status_code == 200, response.content
    dup.refresh_from_db()
    assert dup.deleted_at is not None and dup.merged_into_id == keep.pk
    assert AccountContact.objects.filter(contact=keep).count() == 2


def test_console_merge_without_delete_contact_is_403_and_changes_nothing(client_as, agent, pair):
    keep, dup = pair
    client = client_as(agent)
    before = _state()
    response = client.post(
        "/contacts/duplicates/merge/", {"survivor": str(keep.pk), "duplicates": [str(keep.pk), str(dup.pk)]}
    )
    assert response.status_code == 403
    assert _state() == before
    page = client.get("/contacts/duplicates/").content.decode()  # the page still lists the group
    assert "2 contacts with email ada@example.com" in page
    assert "Merge into the contact to keep" not in page  # but offers no merge the agent cannot do


def test_console_merge_with_change_and_delete_merges(client_as, sales, pair):
    keep, dup = pair
    client = client_as(sales)
    assert "Merge into the contact to keep" in client.get("/contacts/duplicates/").content.decode()
    response = client.post(
        "/contacts/duplicates/merge/", {"survivor": str(keep.pk), "duplicates": [str(keep.pk), str(dup.pk)]}
    )
    assert response.status_code == 302 and response["Location"] == f"/contacts/{keep.pk}/"
    dup.refresh_from_db()
    assert dup.merged_into_id == keep.pk
