"""crm.services: validation keyed by field, allowed transitions, soft delete, merging, linking."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm import services
from crm.models import Account, AccountContact, Contact, CustomerUser
from omni.exceptions import Conflict, InvalidTransition
from tests.crm.factories import ContactFactory, link

pytestmark = pytest.mark.django_db

# ---- accounts ------------------------------------------------------------------------------------------


def test_account_create_cleans_tags_and_numbers_it(agent):
    account = services.account_create(by=agent, name="Acme", tags=[" Fiber ", "FIBER", "vip  gold", ""])
    assert account.number.startswith("ACC-") and len(account.number) == 10
    assert account.tags == ["fiber", "vip gold"]
    assert account.history.get().history_user == agent


def test_account_create_refuses_unknown_fields_and_bad_values():
    with pytest.raises(ValidationError) as excinfo:
        services.account_create(name="Acme", number="ACC-000001", colour="red")
    assert set(excinfo.value.message_dict) == {"number", "colour"}
    with pytest.raises(ValidationError) as excinfo:
        services.account_create(name="", kind="alien", email="nope")
    assert {"name", "kind", "email"} <= set(excinfo.value.message_dict)
    with pytest.raises(ValidationError) as excinfo:
        services.account_create(name="Acme", tags=["x" * 51])
    assert "tags" in excinfo.value.message_dict
    assert not Account.objects.exists()


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        ("prospect", "active", True),
        ("prospect", "closed", True),
        ("active", "suspended", True),
        ("suspended", "closed", True),
        ("closed", "active", True),
        ("prospect", "suspended", False),
        ("active", "prospect", False),
        ("closed", "suspended", False),
        ("suspended", "prospect", False),
    ],
)
def test_account_transitions(account, start, to, allowed):
    Account.objects.filter(pk=account.pk).update(status=start)
    if allowed:
        assert services.account_transition(account_id=account.pk, to=to).status == to
    else:
        with pytest.raises(InvalidTransition) as excinfo:
            services.account_transition(account_id=account.pk, to=to)
        assert excinfo.value.status_code == 409 and "status" in excinfo.value.fields
    account.refresh_from_db()
    assert account.status == (to if allowed else start)


def test_account_transition_to_the_same_status_is_a_no_op(account):
    before = account.updated_at
    assert services.account_transition(account_id=account.pk, to=account.status).updated_at == before
    with pytest.raises(ValidationError) as excinfo:
        services.account_transition(account_id=account.pk, to="vanished")
    assert "status" in excinfo.value.message_dict


def test_account_update_with_unchanged_values_writes_nothing(account):
    before = account.updated_at
    count = account.history.count()
    services.account_update(account_id=account.pk, name=account.name, tags=list(account.tags))
    account.refresh_from_db()
    assert account.updated_at == before and account.history.count() == count


def test_account_soft_delete_and_restore_are_idempotent(account):
    deleted = services.account_delete(account_id=account.pk)
    assert deleted.deleted_at is not None
    again = services.account_delete(account_id=account.pk)
    assert again.deleted_at == deleted.deleted_at
    assert Account.objects.filter(pk=account.pk).exists()  # soft: the row stays
    assert services.account_restore(account_id=account.pk).deleted_at is None
    updated_at = Account.objects.get(pk=account.pk).updated_at
    assert services.account_restore(account_id=account.pk).updated_at == updated_at


# ---- contacts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "phone"])
def test_a_phone_channel_needs_a_phone(channel):
    contact = Contact(first_name="Ada", email="ada@example.com", preferred_channel=channel)
    with pytest.raises(ValidationError) as excinfo:
        contact.full_clean()
    assert list(excinfo.value.message_dict) == ["phone"]
    contact.phone = "+2348031234567"
    contact.full_clean()


def test_email_channel_needs_an_email():
    with pytest.raises(ValidationError) as excinfo:
        services.contact_create(first_name="Ada", phone="+2348031234567", preferred_channel="email")
    assert list(excinfo.value.message_dict) == ["email"]
    contact = services.contact_create(first_name="Ada", phone="+2348031234567", preferred_channel="sms")
    assert contact.pk


def test_contact_clean_normalises_the_other_lists():
    contact = Contact(
        first_name="Ada",
        email="Ada@Example.com",
        phone="+2348031234567",
        other_emails=["ADA@example.com", "a2@example.com", "A2@example.com"],
        other_phones=["08031234567", "0805 123 4567", "+2348051234567"],
    )
    contact.full_clean()
    assert contact.email == "ada@example.com"
    assert contact.other_emails == ["a2@example.com"]
    assert contact.other_phones == ["+2348051234567"]


def test_contact_clean_names_each_bad_field():
    contact = Contact(
        first_name="Ada",
        email="ada@example.com",
        language="xx",
        time_zone="Mars/Olympus",
        other_emails=["nope"],
        other_phones=["12"],
    )
    with pytest.raises(ValidationError) as excinfo:
        contact.full_clean()
    assert set(excinfo.value.message_dict) == {"language", "time_zone", "other_emails", "other_phones"}


def test_contact_create_links_in_one_transaction(account):
    missing = uuid.uuid4()
    with pytest.raises(ValidationError) as excinfo:
        services.contact_create(
            first_name="Ada", email="ada@example.com", accounts=[(account.pk, "primary"), (missing, "billing")]
        )
    assert "accounts" in excinfo.value.message_dict
    assert not Contact.objects.exists() and not AccountContact.objects.exists()


def test_contact_soft_delete_and_restore_are_idempotent():
    contact = ContactFactory()
    first = services.contact_delete(contact_id=contact.pk).deleted_at
    assert first is not None
    assert services.contact_delete(contact_id=contact.pk).deleted_at == first
    assert services.contact_restore(contact_id=contact.pk).deleted_at is None
    assert services.contact_restore(contact_id=contact.pk).deleted_at is None


def test_contact_link_account_is_idempotent_and_changes_roles(account):
    contact = ContactFactory()
    first = services.contact_link_account(contact_id=contact.pk, account_id=account.pk, role="billing")
    again = services.contact_link_account(contact_id=contact.pk, account_id=account.pk, role="billing")
    assert first.pk == again.pk
    assert services.contact_link_account(contact_id=contact.pk, account_id=account.pk, role="technical")
    assert list(contact.account_links.values_list("role", flat=True)) == ["technical"]
    with pytest.raises(ValidationError):
        services.contact_link_account(contact_id=contact.pk, account_id=account.pk, role="boss")


def test_contact_link_account_refuses_deleted_rows(account, other_account):
    contact = ContactFactory()
    services.account_delete(account_id=other_account.pk)
    with pytest.raises(ValidationError) as excinfo:
        services.contact_link_account(contact_id=contact.pk, account_id=other_account.pk)
    assert "account" in excinfo.value.message_dict
    services.contact_delete(contact_id=contact.pk)
    with pytest.raises(Conflict):
        services.contact_link_account(contact_id=contact.pk, account_id=account.pk)
    assert not AccountContact.objects.exists()


# ---- merging -------------------------------------------------------------------------------------------


def test_merge_moves_links_portal_users_and_fills_blanks(account, other_account):
    survivor = ContactFactory(last_name="", time_zone="", email="ada@example.com", other_emails=["x@example.com"])
    dup = ContactFactory(last_name="Obi", time_zone="Africa/Lagos", email="ADA2@example.com")
    link(survivor, account, "primary")
    link(dup, account, "billing")
    link(dup, other_account, "technical")
    portal = services.customer_user_create(account_id=account.pk, email="ada.portal@example.com", contact_id=dup.pk)
    merged = services.contact_merge(survivor_id=survivor.pk, duplicate_ids=[dup.pk, dup.pk, survivor.pk])
    assert merged.last_name == "Obi" and merged.time_zone == "Africa/Lagos"
    assert set(merged.other_emails) == {"x@example.com", "ada2@example.com"}
    assert str(dup.phone) in merged.other_phones
    assert dict(merged.account_links.values_list("account_id", "role")) == {
        account.pk: "primary",
        other_account.pk: "technical",
    }
    assert CustomerUser.objects.get(user=portal).contact_id == survivor.pk
    dup.refresh_from_db()
    assert dup.merged_into_id == survivor.pk and dup.deleted_at is not None
    with pytest.raises(Conflict):
        services.contact_restore(contact_id=dup.pk)


def test_merging_again_is_a_no_op_and_merging_elsewhere_is_conflict():
    survivor, dup, third = ContactFactory(), ContactFactory(), ContactFactory()
    services.contact_merge(survivor_id=survivor.pk, duplicate_ids=[dup.pk])
    updated_at = Contact.objects.get(pk=survivor.pk).updated_at
    services.contact_merge(survivor_id=survivor.pk, duplicate_ids=[dup.pk])
    assert Contact.objects.get(pk=survivor.pk).updated_at == updated_at
    with pytest.raises(Conflict) as excinfo:
        services.contact_merge(survivor_id=third.pk, duplicate_ids=[dup.pk])
    assert "duplicates" in excinfo.value.fields
    assert Contact.objects.get(pk=dup.pk).merged_into_id == survivor.pk


def test_merge_into_a_deleted_contact_is_conflict():
    survivor, dup = ContactFactory(), ContactFactory()
    services.contact_delete(contact_id=survivor.pk)
    with pytest.raises(Conflict):
        services.contact_merge(survivor_id=survivor.pk, duplicate_ids=[dup.pk])
    assert Contact.objects.get(pk=dup.pk).deleted_at is None


def test_merge_needs_existing_duplicates():
    survivor = ContactFactory()
    for duplicates in ([], [survivor.pk], [uuid.uuid4()]):
        with pytest.raises(ValidationError) as excinfo:
            services.contact_merge(survivor_id=survivor.pk, duplicate_ids=duplicates)
        assert "duplicates" in excinfo.value.message_dict


# ---- portal users --------------------------------------------------------------------------------------


def test_customer_user_for_a_missing_or_deleted_account_is_refused(account):
    services.account_delete(account_id=account.pk)
    with pytest.raises(ValidationError) as excinfo:
        services.customer_user_create(account_id=account.pk, email="late@example.com")
    assert "account" in excinfo.value.message_dict
    assert not CustomerUser.objects.exists()


def test_customer_user_email_taken_is_conflict_and_creates_nothing(account, other_account):
    services.customer_user_create(account_id=account.pk, email="Pat@Example.com", password="pw-Pat-12345")
    with pytest.raises(Conflict) as excinfo:
        services.customer_user_create(account_id=other_account.pk, email="pat@example.COM ")
    assert "email" in excinfo.value.fields
    assert CustomerUser.objects.count() == 1


def test_dates_are_timezone_aware(account):
    deleted = services.account_delete(account_id=account.pk)
    assert timezone.is_aware(deleted.deleted_at)
    assert timezone.now() - deleted.deleted_at < timedelta(seconds=5)
