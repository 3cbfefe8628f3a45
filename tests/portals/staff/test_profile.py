"""My profile in the staff console (/profile/): phone and time zone, errors by field; no such page on the portals."""

import re

import pytest

from omni import services
from omni.models import User

pytestmark = pytest.mark.django_db

PROFILE = "/profile/"


def _stored(user) -> tuple[str, str]:
    user = User.objects.get(pk=user.pk)
    return str(user.phone), user.time_zone


def test_the_user_menu_links_my_profile_and_the_page_shows_what_is_stored(client_as, agent):
    services.user_profile_update(user_id=agent.pk, phone="+2348031234567", time_zone="Africa/Lagos")
    client = client_as(agent)
    assert f'href="{PROFILE}"' in client.get("/").content.decode()
    response = client.get(PROFILE)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<h1") == 1
    # Stored in E.164, shown as the contact forms show numbers of the default region.
    assert re.search(r'<input type="tel" name="phone" value="0803 123 4567"', body)
    assert '<option value="Africa/Lagos" selected>Africa/Lagos</option>' in body
    assert '<option value="">The instance&#x27;s (UTC)</option>' in body


def test_saving_my_phone_and_time_zone(client_as, agent):
    client = client_as(agent)
    response = client.post(PROFILE, {"phone": "0803 123 4567", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    assert _stored(agent) == ("+2348031234567", "Asia/Tokyo")
    assert "Your profile is saved." in client.get(PROFILE).content.decode()

    # Blank both: no phone, the instance's time zone.
    assert client.post(PROFILE, {"phone": "", "time_zone": ""}).status_code == 302
    assert _stored(agent) == ("", "")


def test_bad_values_are_a_422_with_the_error_under_each_field_and_nothing_stored(client_as, agent):
    services.user_profile_update(user_id=agent.pk, phone="+2348031234567", time_zone="Africa/Lagos")
    response = client_as(agent).post(PROFILE, {"phone": "12345", "time_zone": "Nowhere/Atlantis"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert list(errors) == ["phone", "time_zone"]
    assert len(errors["phone"]) == 1 and errors["phone"][0].startswith("Enter a valid phone number (e.g. ")
    assert errors["time_zone"] == ["Select a valid choice. Nowhere/Atlantis is not one of the available choices."]
    body = response.content.decode()
    assert '<p id="id_phone_error"' in body and '<p id="id_time_zone_error"' in body
    assert _stored(agent) == ("+2348031234567", "Africa/Lagos")


def test_staff_without_any_role_have_a_profile_and_anonymous_go_to_sign_in(client, client_as):
    from tests.omni.factories import StaffFactory

    nobody = StaffFactory(email="nobody@example.com", roles=[])
    assert client_as(nobody).post(PROFILE, {"phone": "+14155550123", "time_zone": ""}).status_code == 302
    assert _stored(nobody) == ("+14155550123", "")
    response = client.get(PROFILE, HTTP_HOST="localhost")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={PROFILE}"


def test_only_get_and_post(client_as, agent):
    assert client_as(agent).put(PROFILE).status_code == 405


def test_portal_users_are_forbidden_on_the_staff_host(client_as, customer, reseller, vendor):
    for user in (customer, reseller, vendor):
        client = client_as(user)
        assert client.get(PROFILE).status_code == 403
        assert client.post(PROFILE, {"phone": "+14155550123", "time_zone": "Asia/Tokyo"}).status_code == 403
        assert _stored(user) == ("", "")


@pytest.mark.parametrize(
    ("fixture", "host"),
    [("customer", "portal.localhost"), ("reseller", "reseller.localhost"), ("vendor", "vendor.localhost")],
)
def test_the_portals_have_no_profile_page(request, client_as, fixture, host):
    user = request.getfixturevalue(fixture)
    client = client_as(user, host=host)
    assert client.get("/").status_code == 200
    assert client.get(PROFILE).status_code == 404
    assert client.post(PROFILE, {"phone": "+14155550123", "time_zone": "Asia/Tokyo"}).status_code == 404
    assert 'href="/profile/"' not in client.get("/").content.decode()
    assert _stored(user) == ("", "")


def test_quiet_hours_without_a_zone_are_offered_as_my_profiles_time_zone(client_as, agent):
    client = client_as(agent)
    blank = '<option value="" selected>The instance&#x27;s (UTC)</option>'
    assert blank in client.get("/notifications/preferences/").content.decode()
    services.user_profile_update(user_id=agent.pk, time_zone="Asia/Tokyo")
    body = client.get("/notifications/preferences/").content.decode()
    assert '<option value="" selected>Mine, from my profile (Asia/Tokyo)</option>' in body
    assert "The instance&#x27;s" not in body


def test_the_profile_page_and_a_save_run_a_fixed_number_of_queries(client_as, agent, django_assert_max_num_queries):
    client = client_as(agent)
    with django_assert_max_num_queries(3):  # the user, their permissions (2) for the menu
        assert client.get(PROFILE).status_code == 200
    with django_assert_max_num_queries(8):  # the user; its row locked and updated; the session (messages)
        assert client.post(PROFILE, {"phone": "+14155550123", "time_zone": "Asia/Tokyo"}).status_code == 302
