"""Vendor portal (vendor.localhost): the vendor's own organisation; work arrives in later issues."""

import pytest
from django.utils.html import escape

from workforce.models import Vendor

HOST = "vendor.localhost"


def test_dashboard_shows_own_vendor_and_the_empty_work_panel(client_as, vendor, vendor_org):
    vendor_org.email, vendor_org.phone = "ops@fiberworks.example.com", "+2348031234567"
    vendor_org.save(update_fields=["email", "phone"])
    Vendor.objects.create(name="Other Contractor Plc", email="other@contractor.example.com")

    response = client_as(vendor, host=HOST).get("/")
    html = response.content.decode()

    assert response.status_code == 200
    assert escape(vendor_org.name) in html
    assert "ops@fiberworks.example.com" in html and "+2348031234567" in html
    assert "Active" in html
    assert "Work orders and projects assigned to you will appear here" in html
    assert "Other Contractor" not in html


def test_inactive_vendor_is_labelled(client_as, vendor, vendor_org):
    vendor_org.is_active = False
    vendor_org.save(update_fields=["is_active"])
    html = client_as(vendor, host=HOST).get("/").content.decode()
    assert "Inactive" in html


@pytest.mark.parametrize("who", ["agent", "customer", "reseller"])
def test_dashboard_refuses_users_of_other_audiences(client_as, request, vendor_org, who):
    response = client_as(request.getfixturevalue(who), host=HOST).get("/")
    assert response.status_code == 403
    assert escape(vendor_org.name).encode() not in response.content


def test_dashboard_sends_anonymous_users_to_sign_in(client):
    response = client.get("/", HTTP_HOST=HOST)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
