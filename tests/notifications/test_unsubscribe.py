"""The unsubscribe link: no sign-in, GET asks, POST (or a mail client's RFC 8058 one-click POST) opts out."""

from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client

from notifications import selectors, services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Preference
from tests.notifications.email_support import NEWSLETTER, OUTAGE, contact

pytestmark = pytest.mark.django_db


def _path(key, event=NEWSLETTER) -> str:
    return urlsplit(selectors.unsubscribe_url(recipient_key=key, event=event)).path


def _pref(key, event=NEWSLETTER):
    return Preference.objects.filter(recipient_key=key, event=event, channel=Channel.EMAIL).first()


@pytest.fixture
def browser():
    return Client(HTTP_HOST="localhost", enforce_csrf_checks=True)


def test_get_asks_and_changes_nothing(browser):
    key = contact().key
    response = browser.get(_path(key))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Stop receiving “A newsletter was published (test event)” emails?" in body
    assert 'name="scope" value="event"' in body and 'name="scope" value="all"' in body
    assert response["Cache-Control"].startswith("max-age=0")
    assert _pref(key) is None


def test_post_unsubscribes_from_the_event_without_signing_in_or_a_csrf_token(browser):
    key = contact().key
    response = browser.post(_path(key), {"scope": "event"})
    assert response.status_code == 200
    assert "Done: you will no longer receive" in response.content.decode()
    assert _pref(key).enabled is False


def test_a_mail_clients_one_click_post_unsubscribes(browser):
    key = contact().key
    response = browser.post(_path(key), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert _pref(key).enabled is False


def test_unsubscribing_from_all_emails_and_undoing_it(browser):
    ada = contact()
    response = browser.post(_path(ada.key), {"scope": "all"})
    assert "except messages about your service" in response.content.decode()
    assert _pref(ada.key, "*").enabled is False
    (news,) = services.notify(NEWSLETTER, [ada], {"title": "T", "body": "B", "account": {}})
    (outage,) = services.notify(OUTAGE, [ada], {"area": "Lekki", "eta": "now"}, channels=[Channel.EMAIL])
    assert news.status == DeliveryStatus.SUPPRESSED
    assert outage.status == DeliveryStatus.QUEUED  # mandatory

    # Leaving one event, taking it back, then leaving everything: everything wins.
    browser.post(_path(ada.key), {"scope": "event"})
    browser.post(_path(ada.key), {"scope": "resubscribe"})
    browser.post(_path(ada.key), {"scope": "all"})
    (still_muted,) = services.notify(NEWSLETTER, [ada], {"title": "T", "body": "B", "account": {}})
    assert still_muted.status == DeliveryStatus.SUPPRESSED

    undo = browser.post(_path(ada.key), {"scope": "resubscribe_all"})
    assert "again" in undo.content.decode()
    assert _pref(ada.key, "*").enabled is True and _pref(ada.key).enabled is True
    (news_again,) = services.notify(NEWSLETTER, [ada], {"title": "T2", "body": "B", "account": {}})
    assert news_again.status == DeliveryStatus.QUEUED


def test_resubscribing_to_one_event(browser):
    key = contact().key
    browser.post(_path(key), {"scope": "event"})
    browser.post(_path(key), {"scope": "resubscribe"})
    assert _pref(key).enabled is True
    assert _pref(key, "*") is None


def test_a_forged_or_cut_token_is_a_400(browser):
    path = _path(contact().key)
    for bad in (path[:-5] + "abcd/", "/notifications/unsubscribe/not-a-token/"):
        response = browser.post(bad, {"scope": "event"})
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert not Preference.objects.exists()


def test_a_token_for_an_event_no_longer_registered_is_a_400(browser):
    token = signing.dumps({"r": contact().key, "e": "gone.event.removed"}, salt=selectors.UNSUBSCRIBE_SALT)
    assert browser.get(f"/notifications/unsubscribe/{token}/").status_code == 400


def test_mandatory_events_cannot_be_left(browser):
    key = contact().key
    path = _path(key, OUTAGE)
    response = browser.post(path, {"scope": "event"})
    assert response.status_code == 200
    assert "cannot be switched off" in response.content.decode()
    assert not Preference.objects.exists()


def test_the_link_works_on_a_portal_host_too():
    key = contact().key
    response = Client(HTTP_HOST="portal.localhost").post(_path(key), {"scope": "event"})
    assert response.status_code == 200
    assert _pref(key).enabled is False


def test_only_get_and_post(browser):
    assert browser.put(_path(contact().key)).status_code == 405
