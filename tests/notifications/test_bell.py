"""The bell in every portal's layout and the in-app list: count, panel, list page, mark read, mark all read and
open, on the staff, customer, reseller and vendor hosts; scoped to the user; fixed query counts."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from notifications import services
from notifications.choices import Channel
from notifications.models import Notification
from notifications.recipients import Recipient
from tests.notifications.sms_support import CONTEXT, EVENT

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
PANEL = {**HX, "HTTP_HX_TARGET": "bell-panel"}
PORTALS = [
    ("agent", "localhost", "/"),
    ("customer", "portal.localhost", "/"),
    ("reseller", "reseller.localhost", "/"),
    ("vendor", "vendor.localhost", "/"),
]


def make(user, n: int = 1, *, read: bool = False, title: str = "Note", url: str = "") -> list[Notification]:
    rows = [
        Notification(
            user=user, event=EVENT, title=f"{title} {i}", body="Body", url=url, read_at=timezone.now() if read else None
        )
        for i in range(n)
    ]
    return Notification.objects.bulk_create(rows)


def badge(response) -> tuple[str, str]:
    """(the badge's text, the bell's accessible name) from a count fragment."""
    html = response.content.decode()
    label = re.search(r'data-label="([^"]*)"', html).group(1)
    text = re.sub(r"<[^>]+>", "", html).strip()
    return text, label


@pytest.mark.parametrize(("user_fixture", "host", "home"), PORTALS)
def test_the_bell_shows_a_notification_on_every_host(request, client_as, user_fixture, host, home):
    user = request.getfixturevalue(user_fixture)
    (delivery,) = services.notify(EVENT, [Recipient.for_user(user)], CONTEXT, channels=[Channel.INAPP])
    services.deliveries_send([delivery.pk])
    client = client_as(user, host)

    page = client.get(home).content.decode()
    assert 'id="bell-button"' in page and 'aria-label="Notifications"' in page
    assert 'hx-trigger="load, every 30s, bell-changed from:body"' in page
    assert 'aria-controls="bell-panel"' in page and 'aria-expanded="false"' in page
    assert "Enable push notifications" in page and "js/push.js" in page

    assert badge(client.get("/notifications/inbox/count/", **HX)) == ("1", "Notifications, 1 unread")
    panel = client.get("/notifications/inbox/panel/", **HX).content.decode()
    assert "Outage in Lekki Phase 1" in panel and "Mark all read" in panel
    listing = client.get("/notifications/inbox/").content.decode()
    assert "Outage in Lekki Phase 1" in listing and "<h1" in listing and "1 unread" in listing


def test_no_bell_for_anonymous_visitors(client):
    page = client.get("/accounts/login/", HTTP_HOST="portal.localhost").content.decode()
    assert "bell-button" not in page and "js/push.js" not in page


def test_marking_one_read_from_the_panel_answers_the_panel_and_refreshes_the_count(client_as, customer):
    first, second = make(customer, 2)
    client = client_as(customer, "portal.localhost")
    response = client.post(f"/notifications/inbox/{first.pk}/read/", **PANEL)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "bell-changed"
    assert 'id="bell-heading"' in response.content.decode()  # the panel, re-rendered
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert badge(client.get("/notifications/inbox/count/", **HX)) == ("1", "Notifications, 1 unread")


def test_another_users_notification_is_a_404_everywhere(client_as, customer, other_customer):
    (theirs,) = make(other_customer, url="/account/")
    client = client_as(customer, "portal.localhost")
    assert client.post(f"/notifications/inbox/{theirs.pk}/read/", **PANEL).status_code == 404
    assert client.post(f"/notifications/inbox/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/notifications/inbox/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "Note 0" not in client.get("/notifications/inbox/").content.decode()
    assert badge(client.get("/notifications/inbox/count/", **HX)) == ("", "Notifications, none unread")


def test_mark_all_read_touches_only_my_notifications(client_as, agent, customer):
    make(agent, 3)
    make(customer, 2)
    response = client_as(agent).post("/notifications/inbox/read-all/", **PANEL)
    assert response["HX-Trigger"] == "bell-changed"
    assert "No notifications yet" not in response.content.decode() and "Mark all read" not in response.content.decode()
    assert not Notification.objects.filter(user=agent, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=customer, read_at__isnull=True).count() == 2


def _link(html: str, rel: str) -> str | None:
    """The href of the page's rel="next"/"prev" link, or None."""
    found = re.search(rf'<a [^>]*href="([^"]+)"[^>]*rel="{rel}"', html)
    return unescape(found.group(1)) if found else None


def test_the_list_page_pages_by_cursor_filters_and_marks_read_without_htmx(client_as, vendor):
    make(vendor, 25, title="Unread")
    make(vendor, 5, read=True, title="Seen")
    client = client_as(vendor, "vendor.localhost")

    page_one = client.get("/notifications/inbox/").content.decode()
    assert "25 unread" in page_one and " of " not in page_one  # no count, no page numbers
    assert (page_one.count("Mark read: Seen"), page_one.count("Mark read: Unread")) == (0, 15)  # 5 read + 15 unread
    assert _link(page_one, "prev") is None
    older = _link(page_one, "next")
    assert older.startswith("/notifications/inbox/?cursor=")
    page_two = client.get(older, **HX).content.decode()
    assert 'id="inbox-list"' in page_two and "<h1" not in page_two  # the list region only
    assert (page_two.count("Mark read: Unread"), _link(page_two, "next")) == (10, None)
    assert _link(page_two, "prev").startswith("/notifications/inbox/?cursor=")

    unread = client.get("/notifications/inbox/", {"unread": "1"}).content.decode()
    assert "Seen" not in unread
    unread_next = urlsplit(_link(unread, "next"))
    assert (unread_next.path, parse_qs(unread_next.query)["unread"]) == ("/notifications/inbox/", ["1"])

    cursor = older.split("cursor=")[1]
    note = Notification.objects.filter(user=vendor, read_at__isnull=True).first()
    response = client.post(f"/notifications/inbox/{note.pk}/read/?unread=1&cursor={cursor}")
    assert response.status_code == 302
    assert response["Location"] == f"/notifications/inbox/?unread=1&cursor={cursor}"
    note.refresh_from_db()
    assert note.read_at is not None

    response = client.post("/notifications/inbox/read-all/?unread=1", **HX, HTTP_HX_TARGET="inbox-list")
    html = response.content.decode()
    assert response["HX-Trigger"] == "bell-changed"
    assert 'id="inbox-list"' in html and "No unread notifications." in html and "All read." in html


def test_opening_a_notification_marks_it_read_and_follows_links_on_this_host_only(client_as, customer):
    (local,) = make(customer, url="/account/")
    (absolute,) = make(customer, url="http://portal.localhost/account/")
    (foreign,) = make(customer, url="https://evil.example/phish")
    client = client_as(customer, "portal.localhost")
    assert client.get(f"/notifications/inbox/{local.pk}/open/")["Location"] == "/account/"
    assert client.get(f"/notifications/inbox/{absolute.pk}/open/")["Location"] == "http://portal.localhost/account/"
    assert client.get(f"/notifications/inbox/{foreign.pk}/open/")["Location"] == "/notifications/inbox/"
    assert not Notification.objects.filter(user=customer, read_at__isnull=True).exists()


def test_anonymous_fragments_are_401_and_the_page_asks_to_sign_in(client):
    assert client.get("/notifications/inbox/count/", HTTP_HOST="portal.localhost", **HX).status_code == 401
    assert client.get("/notifications/inbox/panel/", HTTP_HOST="localhost", **HX).status_code == 401
    response = client.get("/notifications/inbox/", HTTP_HOST="reseller.localhost")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_user_on_another_portals_host_is_refused(client_as, customer):
    make(customer)
    client = client_as(customer, "localhost")  # a customer session on the staff host
    assert client.get("/notifications/inbox/count/", **HX).status_code == 403
    assert client.get("/notifications/inbox/").status_code == 403


@pytest.mark.parametrize("rows", [10, 200])
def test_bell_and_list_queries_do_not_grow(client_as, customer, rows, django_assert_max_num_queries):
    make(customer, rows)
    client = client_as(customer, "portal.localhost")
    with django_assert_max_num_queries(3):  # session, user, count
        client.get("/notifications/inbox/count/", **HX)
    with django_assert_max_num_queries(4):  # session, user, latest, count
        panel = client.get("/notifications/inbox/panel/", **HX)
    assert panel.content.decode().count(">Mark read<") == 8
    with django_assert_max_num_queries(5):  # session, user, page count, page rows, unread count
        listing = client.get("/notifications/inbox/")
    assert listing.content.decode().count(">Mark read<") == min(rows, 20)
