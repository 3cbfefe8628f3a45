"""Staff console (localhost): contacts — list, detail, forms with the duplicate check, account links, merging."""

import pytest
from django.utils import timezone
from django.utils.html import escape

from crm import services
from crm.choices import ContactChannel, ContactRole
from crm.models import AccountContact, Contact, CustomerUser
from tests.crm.factories import AccountFactory, ContactFactory, link
from tests.omni.factories import StaffFactory, customer_for

HX = {"HTTP_HX_REQUEST": "true"}


def _form(**overrides):
    data = {
        "first_name": "Ada",
        "last_name": "Obi",
        "email": "ada.obi@example.com",
        "phone": "0803 555 0101",
        "other_emails": "",
        "other_phones": "",
        "preferred_channel": ContactChannel.EMAIL,
        "language": "en",
        "time_zone": "Africa/Lagos",
        "notes": "",
    }
    return {**data, **overrides}


# ---- access ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/contacts/", "/contacts/new/", "/contacts/duplicates/"])
def test_customer_session_on_staff_host_is_forbidden(client_as, customer, path):
    assert client_as(customer).get(path).status_code == 403


def test_inventory_manager_cannot_see_contacts(client_as, db):
    keeper = StaffFactory(email="stock@example.com", roles=["Inventory manager"])
    assert client_as(keeper).get("/contacts/").status_code == 403


def test_agent_cannot_delete_contacts(client_as, agent):
    contact = ContactFactory()
    assert client_as(agent).post(f"/contacts/{contact.pk}/delete/").status_code == 403
    contact.refresh_from_db()
    assert contact.deleted_at is None


# ---- list ----------------------------------------------------------------------------------------------------


def test_list_shows_contacts_with_their_accounts_and_roles(client_as, agent, account):
    ada = ContactFactory(first_name="Ada", last_name="Obi")
    link(ada, account, role=ContactRole.BILLING)
    ContactFactory(first_name="Gone", last_name="Person", deleted_at=timezone.now())

    response = client_as(agent).get("/contacts/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "Ada Obi" in html and account.number in html and "Billing" in html
    assert "Gone Person" not in html


@pytest.mark.parametrize("query", ["ada obi", "ADA.OBI@", "0803 555 0101"])
def test_search_finds_a_contact(client_as, agent, query):
    ada = ContactFactory(first_name="Ada", last_name="Obi", email="ada.obi@example.com", phone="+2348035550101")
    ContactFactory(first_name="Bola", last_name="Ade")

    response = client_as(agent).get("/contacts/", {"search": query}, **HX)

    assert [row["id"] for row in response.context["rows"]] == [ada.pk]
    assert response.content.decode().lstrip().startswith('<section id="contact-table"')


def test_show_deleted_and_channel_filter(client_as, agent):
    sms = ContactFactory(preferred_channel=ContactChannel.SMS)
    ContactFactory(preferred_channel=ContactChannel.EMAIL)
    gone = ContactFactory(deleted_at=timezone.now())
    client = client_as(agent)

    assert [r["id"] for r in client.get("/contacts/", {"preferred_channel": "sms"}).context["rows"]] == [sms.pk]
    assert [r["id"] for r in client.get("/contacts/", {"deleted": "true"}).context["rows"]] == [gone.pk]


@pytest.mark.parametrize("rows", [10, 300])
def test_list_query_count_does_not_grow(client_as, agent, rows, django_assert_max_num_queries):
    accounts = AccountFactory.create_batch(3)
    for i in range(rows):
        link(ContactFactory(), accounts[i % 3], role=ContactRole.TECHNICAL)
    client = client_as(agent)

    # user, its permissions (direct + groups), count, the page, the page's account links
    with django_assert_max_num_queries(6):
        response = client.get("/contacts/", {"sort": "-created"})

    assert response.status_code == 200
    assert len(response.context["rows"]) == min(rows, 25)
    assert all(row["accounts"] for row in response.context["rows"])
    assert response.content.decode().count("Technical") >= min(rows, 25)


# ---- detail ----------------------------------------------------------------------------------------------------


def test_detail_shows_fields_accounts_portal_users_and_history(client_as, agent, account):
    contact = ContactFactory(first_name="Ada", last_name="Obi", other_emails=["ada@work.example.com"])
    link(contact, account, role=ContactRole.PRIMARY)
    portal_user = customer_for(account, email="ada.portal@example.com")
    CustomerUser.objects.filter(user=portal_user).update(contact=contact)
    client = client_as(agent)
    client.post(f"/contacts/{contact.pk}/edit/", _form(first_name="Ada", last_name="Obi-Nnamdi", email=contact.email))

    response = client.get(f"/contacts/{contact.pk}/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "Ada Obi-Nnamdi" in html
    contact.refresh_from_db()
    assert contact.other_emails == []  # the form sent none
    assert account.number in html and "Primary" in html
    assert "ada.portal@example.com" in html
    entry = response.context["history"][0]
    assert entry["user"] == agent
    assert {c["field"]: c["new"] for c in entry["changes"]}["last_name"] == "Obi-Nnamdi"


# ---- create / edit with the duplicate check -------------------------------------------------------------------


def test_create_redirects_to_detail(client_as, agent):
    client = client_as(agent)

    response = client.post("/contacts/new/", _form(other_emails="Ada@Home.example.com, bad"))
    assert response.status_code == 422  # "bad" is not an email: the model says so, on the field
    assert "bad is not a valid email." in response.context["form"].errors["other_emails"]
    assert not Contact.objects.exists()

    response = client.post("/contacts/new/", _form(other_emails="Ada@Home.example.com"))
    contact = Contact.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/contacts/{contact.pk}/"
    assert (contact.email, str(contact.phone), contact.other_emails) == (
        "ada.obi@example.com", "+2348035550101", ["ada@home.example.com"],
    )  # fmt: skip
    assert "Ada Obi" in client.get(response["Location"]).content.decode()


def test_create_from_an_account_links_it_with_the_role(client_as, agent, account):
    client = client_as(agent)
    page = client.get("/contacts/new/", {"account": str(account.pk)})
    assert f"linked to {escape(str(account))}" in page.content.decode()

    client.post("/contacts/new/", _form(account=str(account.pk), role=ContactRole.TECHNICAL))

    link_row = AccountContact.objects.get(account=account)
    assert (link_row.contact.email, link_row.role) == ("ada.obi@example.com", ContactRole.TECHNICAL)


def test_invalid_create_shows_errors_and_saves_nothing(client_as, agent):
    response = client_as(agent).post("/contacts/new/", _form(first_name="", email="", phone="12"))

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "first_name" in errors and "phone" in errors
    assert "This field is required." in response.content.decode()
    assert not Contact.objects.exists()


def test_service_rule_lands_on_the_field(client_as, agent):
    response = client_as(agent).post("/contacts/new/", _form(email="", preferred_channel=ContactChannel.EMAIL))
    assert response.status_code == 422
    assert "Email is the preferred channel, so an email is needed." in response.context["form"].errors["email"]
    assert not Contact.objects.exists()


def test_duplicate_warning_then_save_anyway(client_as, agent):
    existing = ContactFactory(first_name="Adaeze", email="ada.obi@example.com", phone="+2348039999999")
    client = client_as(agent)

    warned = client.post("/contacts/new/", _form(email="ADA.OBI@example.com"))

    html = warned.content.decode()
    assert warned.status_code == 200
    assert "Possible duplicates" in html
    assert f'href="/contacts/{existing.pk}/"' in html
    assert 'name="confirm_duplicates" value="1"' in html
    assert Contact.objects.count() == 1

    saved = client.post("/contacts/new/", _form(email="ADA.OBI@example.com", confirm_duplicates="1"))

    assert saved.status_code == 302
    assert Contact.objects.count() == 2


def test_duplicate_by_phone_is_found_too(client_as, agent):
    existing = ContactFactory(email="someone.else@example.com", phone="+2348035550101")
    warned = client_as(agent).post("/contacts/new/", _form())
    assert [c.pk for c in warned.context["duplicates"]] == [existing.pk]


def test_live_duplicate_check_partial(client_as, agent):
    existing = ContactFactory(email="ada.obi@example.com")
    client = client_as(agent)

    found = client.get("/contacts/duplicates/check/", {"email": "Ada.Obi@example.com", "phone": ""}, **HX)
    assert found.content.decode().lstrip().startswith('<div id="contact-duplicates"')
    assert f"/contacts/{existing.pk}/" in found.content.decode()

    itself = client.get("/contacts/duplicates/check/", {"email": existing.email, "exclude": str(existing.pk)}, **HX)
    assert "Possible duplicates" not in itself.content.decode()


def test_edit_saves_and_warns_only_when_email_or_phone_changes(client_as, agent):
    ContactFactory(email="taken@example.com")
    contact = ContactFactory(email="ada.obi@example.com", phone="+2348035550101")
    client = client_as(agent)

    assert client.get(f"/contacts/{contact.pk}/edit/").context["form"].initial["email"] == "ada.obi@example.com"
    unchanged = client.post(f"/contacts/{contact.pk}/edit/", _form(notes="Prefers mornings"))
    assert unchanged.status_code == 302
    contact.refresh_from_db()
    assert contact.notes == "Prefers mornings"

    clash = client.post(f"/contacts/{contact.pk}/edit/", _form(email="taken@example.com"))
    assert clash.status_code == 200 and "Possible duplicates" in clash.content.decode()
    contact.refresh_from_db()
    assert contact.email == "ada.obi@example.com"


# ---- links, delete, restore ------------------------------------------------------------------------------------


def test_link_and_unlink_an_account(client_as, agent, account):
    contact = ContactFactory()
    client = client_as(agent)

    linked = client.post(f"/contacts/{contact.pk}/link/", {"account": account.number.lower(), "role": "billing"}, **HX)
    assert linked.status_code == 200
    assert linked.content.decode().lstrip().startswith('<section id="contact-accounts"')
    assert AccountContact.objects.get(contact=contact, account=account).role == ContactRole.BILLING

    unknown = client.post(f"/contacts/{contact.pk}/link/", {"account": "ACC-999999", "role": "billing"}, **HX)
    assert unknown.status_code == 422
    assert "No account with number ACC-999999." in unknown.content.decode()

    unlinked = client.post(f"/contacts/{contact.pk}/unlink/{account.pk}/", **HX)
    assert unlinked.status_code == 200
    assert not AccountContact.objects.filter(contact=contact).exists()


def test_link_without_htmx_redirects(client_as, agent, account):
    contact = ContactFactory()
    response = client_as(agent).post(
        f"/contacts/{contact.pk}/link/", {"account": account.number, "role": "primary"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/contacts/{contact.pk}/"
    assert f"Linked to {escape(str(account))}." in response.content.decode()


def test_delete_and_restore(client_as, sales):
    contact = ContactFactory(first_name="Ada", last_name="Obi")
    client = client_as(sales)

    client.post(f"/contacts/{contact.pk}/delete/")
    contact.refresh_from_db()
    assert contact.deleted_at is not None
    assert contact.pk not in [row["id"] for row in client.get("/contacts/").context["rows"]]

    client.post(f"/contacts/{contact.pk}/restore/")
    contact.refresh_from_db()
    assert contact.deleted_at is None


# ---- duplicates and merging ------------------------------------------------------------------------------------


def test_duplicates_page_and_merge_moves_links(client_as, sales):
    first_account, second_account = AccountFactory.create_batch(2)
    keep = ContactFactory(first_name="Ada", email="ada@example.com", phone="")
    dup = ContactFactory(first_name="Adaeze", email="ADA@example.com", phone="+2348030000001")
    link(keep, first_account)
    link(dup, second_account, role=ContactRole.BILLING)
    client = client_as(sales)

    page = client.get("/contacts/duplicates/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 contacts with email ada@example.com" in html
    assert f'value="{keep.pk}"' in html and f'value="{dup.pk}"' in html

    response = client.post(
        "/contacts/duplicates/merge/", {"survivor": str(keep.pk), "duplicates": [str(keep.pk), str(dup.pk)]}
    )

    assert response.status_code == 302 and response["Location"] == f"/contacts/{keep.pk}/"
    dup.refresh_from_db()
    keep.refresh_from_db()
    assert dup.deleted_at is not None and dup.merged_into == keep
    assert set(keep.account_links.values_list("account_id", "role")) == {
        (first_account.pk, ContactRole.PRIMARY), (second_account.pk, ContactRole.BILLING),
    }  # fmt: skip
    assert str(keep.phone) == "+2348030000001"  # blank field filled from the duplicate
    assert "No duplicates found." in client.get("/contacts/duplicates/").content.decode()


def test_merge_without_a_survivor_is_422_and_changes_nothing(client_as, sales):
    a = ContactFactory(email="same@example.com")
    b = ContactFactory(email="same@example.com")

    response = client_as(sales).post("/contacts/duplicates/merge/", {"duplicates": [str(a.pk), str(b.pk)]})

    assert response.status_code == 422
    assert "Choose the contact to keep." in response.content.decode()
    assert Contact.objects.live().count() == 2


def test_merged_contact_cannot_be_restored(client_as, sales):
    keep, dup = ContactFactory(), ContactFactory()
    services.contact_merge(survivor_id=keep.pk, duplicate_ids=[dup.pk])

    response = client_as(sales).post(f"/contacts/{dup.pk}/restore/", follow=True)

    assert "merged into another" in response.content.decode()
    dup.refresh_from_db()
    assert dup.deleted_at is not None
