"""The vendor admin writes through workforce.services: switching a vendor off cuts its users off, portal users are
invited through the service, deleting a vendor deactivates the users it would orphan."""

from omni.models import User
from tests.admin_support import admin_form_data
from workforce.models import Vendor, VendorUser


def test_switching_a_vendor_off_in_the_admin_cuts_its_users_off_and_on_brings_them_back(
    admin_user, client_as, vendor_org, vendor
):
    admin = client_as(admin_user)
    admin.post("/admin/workforce/vendor/", {"action": "switch_off", "_selected_action": [vendor_org.pk]})
    vendor.refresh_from_db()
    assert (vendor.is_active, vendor.suspended_with_org) == (False, True)
    assert vendor_org.history.latest().history_user_id == admin_user.pk

    page = admin.get(f"/admin/workforce/vendor/{vendor_org.pk}/change/")
    response = admin.post(f"/admin/workforce/vendor/{vendor_org.pk}/change/", admin_form_data(page, is_active="on"))
    assert response.status_code == 302
    vendor.refresh_from_db()
    assert (vendor.is_active, vendor.suspended_with_org) == (True, False)


def test_a_vendor_added_in_the_admin_and_its_invited_user(admin_user, client_as, django_capture_on_commit_callbacks):
    admin = client_as(admin_user)
    page = admin.get("/admin/workforce/vendor/add/")
    invite = page.context["inline_admin_formsets"][1].formset.prefix
    data = admin_form_data(
        page, name="Cables & Co", **{f"{invite}-TOTAL_FORMS": "1", f"{invite}-0-email": "crew@cables.example"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/admin/workforce/vendor/add/", data)
    assert response.status_code == 302
    vendor = Vendor.objects.get(name="Cables & Co")
    assert vendor.history.get().history_user_id == admin_user.pk
    user = User.objects.get(email="crew@cables.example")
    assert user.audience == "vendor" and VendorUser.objects.get(user=user).vendor == vendor


def test_deleting_a_vendor_in_the_admin_deactivates_its_users(admin_user, client_as, vendor_org, vendor):
    admin = client_as(admin_user)
    response = admin.post(f"/admin/workforce/vendor/{vendor_org.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Vendor.objects.filter(pk=vendor_org.pk).exists()
    vendor.refresh_from_db()
    assert (vendor.is_active, vendor.suspended_with_org) == (False, False)
