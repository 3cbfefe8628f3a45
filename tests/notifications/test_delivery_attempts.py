"""The delivery log as rows (DeliveryAttempt): what the API's `provider_response` and the admin show, the copy of
the old text log into rows (migration 0004), the service that retries one delivery."""

import datetime as dt
import importlib
import uuid
from types import SimpleNamespace

import pytest

from notifications import services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, DeliveryAttempt
from omni.exceptions import Conflict
from tests.notifications.email_support import NEWSLETTER

pytestmark = pytest.mark.django_db

API = "/api/v1/notifications/deliveries/"
T0 = dt.datetime(2026, 12, 2, 10, 0, 0, tzinfo=dt.UTC)
LOG = (
    "#1 2026-12-02 10:00:00Z 451 greylisted, retry at 10:00:30Z: 451 4.3.0 Try later\n"
    "#2 2026-12-02 10:00:31Z sent: 250 accepted\n"
    "2026-12-02 10:00:40Z report delivered: {}"
)


def _delivery(status=DeliveryStatus.SENT) -> Delivery:
    return Delivery.objects.create(
        idempotency_key=uuid.uuid4().hex,
        event=NEWSLETTER,
        channel=Channel.SMS,
        recipient_key="crm.contact:1",
        address="+2348031234567",
        status=status,
        attempts=2,
    )


def _attempts(delivery: Delivery) -> None:
    delivery.attempt_log.create(
        number=1, created_at=T0, outcome="451 greylisted, retry at 10:00:30Z", answer="451 4.3.0 Try later"
    )
    delivery.attempt_log.create(
        number=2, created_at=T0 + dt.timedelta(seconds=31), outcome="sent", answer="250 accepted"
    )
    delivery.attempt_log.create(created_at=T0 + dt.timedelta(seconds=40), outcome="report delivered", answer="{}")


def test_the_api_detail_gives_the_attempt_rows_as_the_log_lines_newest_last(api_as, admin_user):
    delivery = _delivery()
    _attempts(delivery)
    detail = api_as(admin_user).get(f"{API}{delivery.pk}/").json()
    assert detail["provider_response"] == LOG


def test_the_api_detail_reads_the_attempts_in_one_query(api_as, admin_user, django_assert_num_queries):
    delivery = _delivery()
    _attempts(delivery)
    api = api_as(admin_user)
    api.get(f"{API}{delivery.pk}/")  # the token's first use writes its last_used_at
    with django_assert_num_queries(2):  # the delivery, its attempts (the token is cached after its first use)
        assert api.get(f"{API}{delivery.pk}/").status_code == 200


def test_the_old_text_log_becomes_rows_that_read_as_it_did():
    migration = importlib.import_module("notifications.migrations.0004_delivery_attempts")
    delivery = _delivery()
    fragment = "cut at 2000 characters: a fragment"
    old = SimpleNamespace(
        objects=SimpleNamespace(
            exclude=lambda **_kw: SimpleNamespace(
                values_list=lambda *_a: SimpleNamespace(
                    iterator=lambda **_k: iter([(delivery.pk, f"{fragment}\n{LOG}")])
                )
            )
        )
    )
    models = {"Delivery": old, "DeliveryAttempt": DeliveryAttempt}
    migration.attempts_from_provider_response(SimpleNamespace(get_model=lambda _app, name: models[name]), None)
    assert delivery.attempt_log_text == LOG
    assert [a.number for a in delivery.attempt_log.all()] == [1, 2, None]


def test_the_admin_shows_the_attempts_read_only(client_as, admin_user):
    delivery = _delivery()
    _attempts(delivery)
    page = client_as(admin_user).get(f"/admin/notifications/delivery/{delivery.pk}/change/").content.decode()
    assert "451 4.3.0 Try later" in page and "report delivered" in page
    assert 'name="attempt_log-0-outcome"' not in page  # read-only: no inputs


def test_only_a_failed_delivery_can_be_retried():
    sent = _delivery()
    with pytest.raises(Conflict, match="^A sent delivery cannot be sent again; only failed ones can.$"):
        services.delivery_retry(delivery_id=sent.pk)
    sent.refresh_from_db()
    assert (sent.status, sent.max_attempts) == (DeliveryStatus.SENT, 6)
    failed = _delivery(DeliveryStatus.FAILED)
    assert services.delivery_retry(delivery_id=failed.pk).status == DeliveryStatus.QUEUED
