"""A user's profile: phone (E.164) and time zone, set through omni.services.user_profile_update and in the admin."""

import pytest
from django.core.exceptions import ValidationError

from omni import services
from omni.models import User
from tests.admin_support import admin_form_data

pytestmark = pytest.mark.django_db


def test_the_profile_service_stores_the_phone_in_e164_and_the_time_zone(agent):
    user = services.user_profile_update(user_id=agent.pk, phone="0803 123 4567", time_zone=" Asia/Tokyo ")
    stored = User.objects.get(pk=agent.pk)
    assert str(stored.phone) == "+2348031234567"  # national numbers read in PHONENUMBER_DEFAULT_REGION (NG)
    assert stored.time_zone == "Asia/Tokyo"
    assert user.updated_at == stored.updated_at

    services.user_profile_update(user_id=agent.pk, phone="", time_zone="")
    stored = User.objects.get(pk=agent.pk)
    assert (str(stored.phone), stored.time_zone) == ("", "")


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"phone": "12345"}, {"phone": ["The phone number entered is not valid."]}),
        ({"phone": "+99912345"}, {"phone": ["The phone number entered is not valid."]}),
        ({"time_zone": "Nowhere/Atlantis"}, {"time_zone": ["Unknown time zone Nowhere/Atlantis."]}),
        (
            {"phone": "nope", "time_zone": "Mars/Olympus"},
            {"phone": ["The phone number entered is not valid."], "time_zone": ["Unknown time zone Mars/Olympus."]},
        ),
        ({"email": "other@example.com"}, {"email": ["This field is not part of the profile."]}),
        ({"is_staff": False}, {"is_staff": ["This field is not part of the profile."]}),
    ],
)
def test_the_profile_service_names_each_bad_field_and_stores_nothing(agent, fields, errors):
    services.user_profile_update(user_id=agent.pk, phone="+2348031234567", time_zone="Africa/Lagos")
    with pytest.raises(ValidationError) as caught:
        services.user_profile_update(user_id=agent.pk, **fields)
    assert caught.value.message_dict == errors
    stored = User.objects.get(pk=agent.pk)
    assert (str(stored.phone), stored.time_zone, stored.email) == ("+2348031234567", "Africa/Lagos", agent.email)


def test_the_admin_lists_and_edits_phone_and_time_zone(client_as, admin_user, agent):
    services.user_profile_update(user_id=agent.pk, phone="+2348031234567", time_zone="Africa/Lagos")
    client = client_as(admin_user)
    changelist = client.get("/admin/omni/user/")
    assert changelist.status_code == 200
    body = changelist.content.decode()
    assert '<td class="field-phone">+2348031234567</td>' in body
    assert '<td class="field-time_zone">Africa/Lagos</td>' in body

    page = client.get(f"/admin/omni/user/{agent.pk}/change/")
    assert page.status_code == 200
    assert '<option value="Asia/Tokyo">Asia/Tokyo</option>' in page.content.decode()  # a select of time zones
    data = admin_form_data(page, phone="+14155550123", time_zone="Asia/Tokyo", password=None)
    response = client.post(f"/admin/omni/user/{agent.pk}/change/", data)
    assert response.status_code == 302
    stored = User.objects.get(pk=agent.pk)
    assert (str(stored.phone), stored.time_zone) == ("+14155550123", "Asia/Tokyo")

    refused = client.post(f"/admin/omni/user/{agent.pk}/change/", {**data, "time_zone": "Nowhere/Atlantis"})
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors == {
        "time_zone": ["Select a valid choice. Nowhere/Atlantis is not one of the available choices."]
    }
