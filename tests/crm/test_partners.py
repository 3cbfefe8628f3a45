"""Resellers (crm) and vendors (workforce) are one kind of thing, omni.models.PartnerOrganisation: the same
fields, services (omni.services.partner_*) and admin for both."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from crm.models import Reseller, ResellerUser
from omni.exceptions import Conflict
from omni.models import User
from omni.services import partner_create, partner_delete
from tests.crm.factories import AccountFactory
from workforce.models import Vendor, VendorUser

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("model", "table"), [(Reseller, "crm_reseller"), (Vendor, "workforce_vendor")])
def test_both_keep_their_table_fields_and_case_blind_unique_name(model, table):
    assert model._meta.db_table == table
    assert [f.name for f in model._meta.concrete_fields] == [
        "id", "created_at", "updated_at", "name", "email", "phone", "is_active", "notes",
    ]  # fmt: skip
    assert [c.name for c in model._meta.constraints] == [f"{table}_name_unique_ci"]
    partner_create(model, name="Lagos Fiber")
    with pytest.raises(ValidationError) as taken:
        partner_create(model, name="LAGOS fiber")
    assert taken.value.message_dict == {"name": [f"A {model._meta.verbose_name} named LAGOS fiber already exists."]}
    assert model.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("model", [Reseller, Vendor])
def test_two_creates_of_one_name_at_once_one_wins_and_the_other_is_told_name(model):
    """Both pass the Python check; the constraint decides, and the loser gets the same error naming `name`."""
    barrier = threading.Barrier(2)
    real_save = model.save

    def save_after_both_checked(self, *args, **kwargs):
        barrier.wait(timeout=10)  # both have passed the exists() check by now
        return real_save(self, *args, **kwargs)

    def create(name):
        try:
            partner_create(model, name=name)
            return "ok"
        except ValidationError as exc:
            return sorted(exc.message_dict)
        finally:
            connection.close()

    model.save = save_after_both_checked
    try:
        with ThreadPoolExecutor(2) as pool:
            results = sorted(pool.map(create, ["Kano Link", "KANO LINK"]), key=str)
    finally:
        model.save = real_save
    assert results == [["name"], "ok"]
    assert model.objects.count() == 1


def test_a_reseller_with_accounts_is_not_deleted_and_its_users_stay(reseller_org, reseller):
    AccountFactory(reseller=reseller_org)
    with pytest.raises(Conflict) as refused:
        partner_delete(Reseller, partner_id=reseller_org.pk)
    assert refused.value.message == f"{reseller_org.name} still has accounts; move them to another reseller first."
    assert Reseller.objects.filter(pk=reseller_org.pk).exists() and ResellerUser.objects.filter(user=reseller).exists()
    assert User.objects.get(pk=reseller.pk).is_active


@pytest.mark.parametrize(
    ("kind", "membership", "url"),
    [("reseller", ResellerUser, "/admin/crm/reselleruser/"), ("vendor", VendorUser, "/admin/workforce/vendoruser/")],
)
def test_the_memberships_are_listed_with_their_organisation(request, admin_user, client_as, kind, membership, url):
    user = request.getfixturevalue(kind)
    org = request.getfixturevalue(f"{kind}_org")
    page = client_as(admin_user).get(url, {f"{kind}__id__exact": org.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert user.email in html and org.name in html
    assert str(membership.objects.get(user=user)) == f"{user.pk} @ {org.pk}"
    change = client_as(admin_user).get(f"/admin/{membership._meta.app_label}/{kind}/{org.pk}/change/")
    assert [f.formset.model for f in change.context["inline_admin_formsets"]] == [membership, membership]
    assert user.email in change.content.decode()
    history = client_as(admin_user).get(f"/admin/{membership._meta.app_label}/{kind}/{org.pk}/history/")
    assert history.status_code == 200 and list(history.context["page_obj"]) == list(org.history.all())


@pytest.mark.parametrize(
    ("model", "url"), [(Reseller, "/admin/crm/reseller/add/"), (Vendor, "/admin/workforce/vendor/add/")]
)
def test_the_admin_names_a_taken_name_on_the_name_field(client_as, admin_user, model, url):
    model.objects.create(name="Lagos Fiber")
    form = {"name": "LAGOS FIBER", "email": "", "phone": "", "notes": "", "is_active": "on"}
    for prefix in ("portal_users", "portal_users-2"):
        form |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    response = client_as(admin_user).post(url, form)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors == {"name": [f"A {model._meta.verbose_name} named LAGOS FIBER already exists."]}, errors
    assert model.objects.count() == 1
