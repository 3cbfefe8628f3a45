"""/api/v1/crm/contacts/: the ApiContract plus account links, merging and what is particular to contacts."""

import pytest

from crm.models import AccountContact, Contact
from tests.crm.factories import AccountFactory, ContactFactory, link
from tests.omni.api_contract import ApiContract, assert_error

URL = "/api/v1/crm/contacts/"


def _bulk_contacts(n: int, accounts) -> None:
    contacts = Contact.objects.bulk_create(ContactFactory.build_batch(n))
    AccountContact.objects.bulk_create(
        [AccountContact(contact=c, account=accounts[i % len(accounts)]) for i, c in enumerate(contacts)]
    )


class TestContactApi(ApiContract):
    url = URL
    model = Contact
    # token + user, last_used_at stamp, COUNT, the page, the page's account links (one query for all rows)
    list_queries = 5
    ordering_fields = ["last_name", "first_name", "email", "created_at", "updated_at"]

    def make_rows(self, n):
        _bulk_contacts(n, AccountFactory.create_batch(3))

    @pytest.fixture
    def obj(self, account, customer):
        contact = ContactFactory(first_name="Ada", last_name="Obi", other_emails=["ada@work.example.com"])
        link(contact, account, "billing")
        return contact

    @pytest.fixture
    def outside_obj(self, other_account, other_customer):
        contact = ContactFactory(first_name="Bola", last_name="Ade")
        link(contact, other_account)
        return contact

    @pytest.fixture
    def create_payload(self, account):
        return {
            "first_name": "Chidi",
            "last_name": "Eze",
            "email": "chidi.eze@example.com",
            "phone": "+2348031234567",
            "other_emails": ["chidi@work.example.com"],
            "other_phones": ["08051234567"],
            "preferred_channel": "sms",
            "language": "fr",
            "time_zone": "Africa/Lagos",
            "accounts": [{"account": str(account.pk), "role": "technical"}],
        }

    @pytest.fixture
    def update_payload(self):
        return {"first_name": "Adaeze", "language": "fr", "time_zone": "Europe/Paris"}

    @pytest.fixture
    def bad_payloads(self, account, other_account):
        missing = "00000000-0000-0000-0000-000000000000"
        return [
            ("email", {"first_name": "X", "email": "not-an-email"}),
            ("email", {"first_name": "X", "email": "", "preferred_channel": "email"}),
            ("phone", {"first_name": "X", "phone": "123"}),
            ("phone", {"first_name": "X", "email": "x@example.com", "phone": "", "preferred_channel": "sms"}),
            ("other_emails", {"first_name": "X", "email": "x@example.com", "other_emails": ["nope"]}),
            ("other_phones", {"first_name": "X", "email": "x@example.com", "other_phones": ["12"]}),
            ("preferred_channel", {"first_name": "X", "preferred_channel": "pigeon"}),
            ("language", {"first_name": "X", "email": "x@example.com", "language": "xx"}),
            ("time_zone", {"first_name": "X", "email": "x@example.com", "time_zone": "Mars/Olympus"}),
            ("accounts", {"first_name": "X", "email": "x@example.com", "accounts": [{"account": missing}]}),
            ("accounts", {"first_name": "X", "email": "x@example.com", "accounts": [{"account": "nope"}]}),
            (
                "accounts",
                {
                    "first_name": "X",
                    "email": "x@example.com",
                    "accounts": [{"account": str(account.pk), "role": "boss"}],
                },
            ),
            (
                "accounts",
                {
                    "first_name": "X",
                    "email": "x@example.com",
                    "accounts": [{"account": str(other_account.pk)}, {"account": str(other_account.pk)}],
                },
            ),
            ("accounts", {"first_name": "X", "email": "x@example.com", "accounts": [{"role": "billing"}]}),
            ("accounts", {"first_name": "X", "email": "x@example.com", "accounts": "all"}),
            ("first_name", {"first_name": ""}),
        ]


# ---- writes and links ----------------------------------------------------------------------------------


def test_create_stores_cleaned_values_and_links(api_as, admin_user, account):
    response = api_as(admin_user).post(
        URL,
        {
            "first_name": "Chidi",
            "email": "Chidi.Eze@Example.com",
            "phone": "08031234567",
            "other_emails": ["CHIDI.EZE@example.com", "c@work.example.com", "c@work.example.com"],
            "other_phones": ["08051234567", "+2348031234567"],
            "preferred_channel": "whatsapp",
            "accounts": [{"account": str(account.pk), "role": "technical"}],
        },
    )
    assert response.status_code == 201, response.content
    contact = Contact.objects.get(pk=response.json()["id"])
    assert contact.email == "chidi.eze@example.com"
    assert str(contact.phone) == "+2348031234567"
    assert contact.other_emails == ["c@work.example.com"]  # the primary and repeats are dropped
    assert contact.other_phones == ["+2348051234567"]
    assert list(contact.account_links.values_list("account_id", "role")) == [(account.pk, "technical")]
    assert response.json()["accounts"] == [
        {"account": {"id": str(account.pk), "number": account.number, "name": account.name}, "role": "technical"}
    ]


def test_patch_accounts_replaces_the_links(api_as, admin_user, account, other_account):
    contact = ContactFactory()
    link(contact, account, "primary")
    third = AccountFactory()
    link(contact, third, "billing")
    client = api_as(admin_user)
    # PATCH validates partially: a link without a role still gets the default role.
    body = {"accounts": [{"account": str(account.pk), "role": "billing"}, {"account": str(other_account.pk)}]}
    response = client.patch(f"{URL}{contact.pk}/", body)
    assert response.status_code == 200, response.content
    assert dict(contact.account_links.values_list("account_id", "role")) == {
        account.pk: "billing",
        other_account.pk: "primary",
    }
    assert {a["account"]["id"] for a in response.json()["accounts"]} == {str(account.pk), str(other_account.pk)}
    client.patch(f"{URL}{contact.pk}/", {"first_name": "Only name"})  # no `accounts`: links untouched
    assert contact.account_links.count() == 2
    client.patch(f"{URL}{contact.pk}/", {"accounts": []})
    assert contact.account_links.count() == 0


def test_put_replaces_fields_and_keeps_links_when_accounts_is_left_out(api_as, admin_user, account):
    contact = ContactFactory(last_name="Old", notes="keep?", language="fr", time_zone="Europe/Paris")
    link(contact, account, "billing")
    body = {"first_name": "New", "email": "new@example.com", "preferred_channel": "email"}
    response = api_as(admin_user).put(f"{URL}{contact.pk}/", body)
    assert response.status_code == 200, response.content
    contact.refresh_from_db()
    assert (contact.first_name, contact.last_name, contact.email) == ("New", "", "new@example.com")
    assert (contact.notes, contact.language, contact.time_zone) == ("", "en", "")
    assert list(contact.account_links.values_list("account_id", "role")) == [(account.pk, "billing")]
    assert response.json() == api_as(admin_user).get(f"{URL}{contact.pk}/").json()


def test_a_link_to_a_deleted_account_is_refused(api_as, admin_user, account):
    account.deleted_at = account.created_at
    account.save()
    body = {"first_name": "X", "email": "x@example.com", "accounts": [{"account": str(account.pk)}]}
    assert_error(api_as(admin_user).post(URL, body), 400, field="accounts")
    assert not Contact.objects.exists()


def test_merge_moves_links_and_deletes_duplicates(api_as, admin_user, account, other_account):
    survivor = ContactFactory(email="ada@example.com", last_name="")
    link(survivor, account, "primary")
    dup = ContactFactory(email="ADA.other@example.com", last_name="Obi")
    link(dup, account, "billing")
    link(dup, other_account, "technical")
    client = api_as(admin_user)
    response = client.post(f"{URL}{survivor.pk}/merge/", {"duplicates": [str(dup.pk)]})
    assert response.status_code == 200, response.content
    survivor.refresh_from_db()
    dup.refresh_from_db()
    assert dict(survivor.account_links.values_list("account_id", "role")) == {
        account.pk: "primary",  # the survivor's role wins
        other_account.pk: "technical",
    }
    assert not dup.account_links.exists()
    assert dup.merged_into_id == survivor.pk and dup.deleted_at is not None
    assert survivor.last_name == "Obi" and "ada.other@example.com" in survivor.other_emails
    assert response.json()["merged_into"] is None
    assert client.get(f"{URL}{dup.pk}/").json()["merged_into"] == str(survivor.pk)
    body = assert_error(client.post(f"{URL}{dup.pk}/restore/"), 409, code="conflict")
    assert "merged" in body["detail"]


def test_merge_validation(api_as, admin_user):
    contact = ContactFactory()
    client = api_as(admin_user)
    assert_error(client.post(f"{URL}{contact.pk}/merge/", {"duplicates": []}), 400, field="duplicates")
    assert_error(client.post(f"{URL}{contact.pk}/merge/", {"duplicates": [str(contact.pk)]}), 400, field="duplicates")
    missing = "00000000-0000-0000-0000-000000000000"
    assert_error(client.post(f"{URL}{contact.pk}/merge/", {"duplicates": [missing]}), 400, field="duplicates")
    assert_error(client.post(f"{URL}{contact.pk}/merge/", {"duplicates": ["nope"]}), 400, field="duplicates")


# ---- filters -------------------------------------------------------------------------------------------


def test_filters(api_as, admin_user, account):
    ada = ContactFactory(first_name="Ada", last_name="Obi", email="ada@example.com", phone="+2348031111111")
    link(ada, account)
    bola = ContactFactory(
        first_name="Bola", last_name="Ade", preferred_channel="sms", other_phones=["+2348032222222"], language="fr"
    )
    client = api_as(admin_user)

    def names(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return {row["first_name"] for row in response.json()["results"]}

    assert names(search="ada obi") == {"Ada"}
    assert names(search="ADE") == {"Bola"}
    assert names(search="08032222222") == {"Bola"}
    assert names(account=str(account.pk)) == {"Ada"}
    assert names(preferred_channel="sms") == {"Bola"}
    assert names(language="fr") == {"Bola"}
    assert names(email="ADA@example.com") == {"Ada"}
    assert names(phone="08031111111") == {"Ada"}
    assert names(phone="garbage") == set()
    assert bola.pk  # both exist; filters pick one each
    assert_error(client.get(URL, {"preferred_channel": "pigeon"}), 400, field="preferred_channel")
    assert_error(client.get(URL, {"account": "nope"}), 400, field="account")


@pytest.mark.parametrize("rows", [10, 500])
def test_customer_contact_list_queries_do_not_grow(api_as, customer, account, rows, django_assert_max_num_queries):
    _bulk_contacts(rows, [account])
    client = api_as(customer)
    with django_assert_max_num_queries(5):
        response = client.get(URL, {"limit": 1000})
    assert len(response.json()["results"]) == rows
