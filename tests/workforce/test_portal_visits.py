"""The customer portal's visits (portal.localhost, issue 14 item 9): a customer sees the visits of its own account
only (another account's is a 404), cancels one with a reason before the technician is on the way (409 after),
and moves it to another free time of the same technician offered by services.visits.reschedule_options."""

import datetime

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils.html import escape

from notifications.models import OutboxEvent
from workforce import services
from workforce.choices import AppointmentStatus, TimeOffStatus, WorkOrderStatus
from workforce.models import Appointment, TimeOff
from workforce.services.visits import VisitSlot, reschedule_options

from .visits_support import day, technician, visit, visits_bulk

HOST = "portal.localhost"
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def tech(db):
    return technician("Musa Bello")


@pytest.fixture
def own(account, tech):
    return visit(account, tech, day(2, 9), window_hours=3, address="12 Allen Avenue")


@pytest.fixture
def theirs(other_account, tech):
    return visit(other_account, tech, day(2, 14), address="9 Other Street")


def _en_route(appointment):
    for status in (WorkOrderStatus.DISPATCHED, WorkOrderStatus.EN_ROUTE):
        services.work_order_transition(work_order_id=appointment.work_order_id, to=status)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.EN_ROUTE


# ---- the list and the detail ----------------------------------------------------------------------------------


def test_list_shows_own_upcoming_and_past_visits_only(client_as, customer, account, tech, own, theirs):
    past = visit(account, tech, day(-1, 10))
    services.appointment_cancel(appointment_id=past.pk)

    response = client_as(customer, host=HOST).get("/visits/")
    html = response.content.decode()

    assert response.status_code == 200
    upcoming, _, rest = html.partition('id="past-title"')
    assert own.work_order.number in upcoming and "09:00–12:00" in upcoming  # the agreed arrival window
    assert "Musa" in upcoming and "Bello" not in html  # the technician's first name only
    assert 'data-status="booked"' in upcoming
    assert past.work_order.number in rest and 'data-status="cancelled"' in rest
    assert theirs.work_order.number not in html and "9 Other Street" not in html


def test_detail_shows_the_visit_and_its_changes(client_as, customer, own):
    html = client_as(customer, host=HOST).get(f"/visits/{own.pk}/").content.decode()
    assert own.work_order.number in html and "12 Allen Avenue" in html and "09:00–12:00" in html
    assert f'action="/visits/{own.pk}/cancel/"' in html and f'href="/visits/{own.pk}/reschedule/"' in html


@pytest.mark.parametrize("path", ["", "reschedule/"])
def test_another_accounts_visit_is_404(client_as, customer, theirs, path):
    response = client_as(customer, host=HOST).get(f"/visits/{theirs.pk}/{path}")
    assert response.status_code == 404
    assert theirs.work_order.number.encode() not in response.content


@pytest.mark.parametrize("path", ["cancel/", "reschedule/"])
def test_changing_another_accounts_visit_is_404_and_changes_nothing(client_as, customer, theirs, path):
    data = {"reason": "Not home", "start": day(3, 10).isoformat()}
    response = client_as(customer, host=HOST).post(f"/visits/{theirs.pk}/{path}", data)
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == AppointmentStatus.BOOKED and theirs.scheduled.lower == day(2, 14)


@pytest.mark.parametrize("path", ["/visits/", "/visits/{pk}/", "/visits/{pk}/reschedule/"])
@pytest.mark.parametrize("who", ["agent", "reseller", "vendor"])
def test_pages_refuse_users_of_other_audiences(client_as, request, own, who, path):
    """As every customer page: staff, resellers and vendors on the customer host get 403, never the visit."""
    response = client_as(request.getfixturevalue(who), host=HOST).get(path.format(pk=own.pk))
    assert response.status_code == 403
    assert own.work_order.number.encode() not in response.content


@pytest.mark.parametrize("who", ["agent", "reseller", "vendor"])
def test_cancel_refuses_users_of_other_audiences(client_as, request, own, who):
    response = client_as(request.getfixturevalue(who), host=HOST).post(f"/visits/{own.pk}/cancel/", {"reason": "x"})
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.status == AppointmentStatus.BOOKED


@pytest.mark.parametrize("path", ["/visits/", "/visits/{pk}/"])
def test_pages_send_anonymous_users_to_sign_in(client, own, path):
    path = path.format(pk=own.pk)
    response = client.get(path, HTTP_HOST=HOST)
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={path}"


def test_customer_whose_account_was_deleted_sees_an_explanation(client_as, customer, account, own):
    account.deleted_at = own.created_at
    account.save(update_fields=["deleted_at"])
    html = client_as(customer, host=HOST).get("/visits/").content.decode()
    assert "No account is linked to your sign-in" in html and own.work_order.number not in html
    assert client_as(customer, host=HOST).get(f"/visits/{own.pk}/").status_code == 404


@pytest.mark.parametrize("rows", [1, 20])
def test_list_queries_do_not_grow(client_as, customer, account, tech, rows, django_assert_max_num_queries):
    visits_bulk(account, tech, rows, first=day(3, 0))  # upcoming
    visits_bulk(account, tech, rows, first=day(-2, 0) - rows * HOUR)  # past
    client = client_as(customer, host=HOST)
    with django_assert_max_num_queries(7):  # session, user, account, upcoming, past count, past page, messages
        response = client.get("/visits/")
    assert response.content.decode().count("<tr data-visit=") == 2 * rows


# ---- cancelling ------------------------------------------------------------------------------------------------


def test_cancel_needs_a_reason(client_as, customer, own):
    response = client_as(customer, host=HOST).post(f"/visits/{own.pk}/cancel/", {"reason": "  "})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    own.refresh_from_db()
    assert own.status == AppointmentStatus.BOOKED


def test_cancel_with_a_reason_cancels_and_tells_dispatch(client_as, customer, own):
    client = client_as(customer, host=HOST)
    response = client.post(f"/visits/{own.pk}/cancel/", {"reason": "I will be travelling."})
    assert response.status_code == 302 and response["Location"] == f"/visits/{own.pk}/"

    own.refresh_from_db()
    own.work_order.refresh_from_db()
    assert own.status == AppointmentStatus.CANCELLED and own.cancel_reason == "I will be travelling."
    assert own.work_order.status == WorkOrderStatus.NEW  # back to dispatch, to be booked again
    event = OutboxEvent.objects.get(event="workforce.appointment.customer_cancelled")
    assert event.data["reason"] == "I will be travelling." and event.data["appointment"] == str(own.pk)
    assert event.data["number"] == own.work_order.number
    html = client.get(response["Location"]).content.decode()
    assert "The visit is cancelled" in html and "I will be travelling." in html
    assert 'action="/visits/' not in html  # no more cancel or move


def test_cancelling_twice_keeps_the_first_reason(client_as, customer, own):
    client = client_as(customer, host=HOST)
    client.post(f"/visits/{own.pk}/cancel/", {"reason": "First"})
    response = client.post(f"/visits/{own.pk}/cancel/", {"reason": "Second"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.cancel_reason == "First"
    assert OutboxEvent.objects.filter(event="workforce.appointment.customer_cancelled").count() == 1


def test_cancel_once_the_technician_is_on_the_way_is_409_with_the_reason(client_as, customer, own):
    _en_route(own)
    response = client_as(customer, host=HOST).post(f"/visits/{own.pk}/cancel/", {"reason": "Changed my mind"})
    assert response.status_code == 409
    assert escape("The technician is already on the way") in response.content.decode()
    own.refresh_from_db()
    assert own.status == AppointmentStatus.EN_ROUTE and own.cancel_reason == ""


# ---- moving ------------------------------------------------------------------------------------------------------


@pytest.fixture
def busy(own, tech, other_account):
    """The technician's day 2 has another visit at 11:00, day 3 is time off."""
    visit(other_account, tech, day(2, 11))
    TimeOff.objects.create(
        technician=tech, during=DateTimeTZRange(day(3, 0), day(4, 0), "[)"), status=TimeOffStatus.APPROVED
    )
    return own


def test_options_are_the_technicians_free_hours_in_the_allowed_range(busy, django_assert_max_num_queries):
    # slot search's constant number (Musa is no territory's member: no graded slot), then the free hours' three
    with django_assert_max_num_queries(17):
        slots = reschedule_options(busy, now=day(1, 12))
    starts = [slot.start for slot in slots]
    assert [s.hour for s in starts if s.date() == day(2).date()] == [8, 10, 12, 13, 14, 15, 16]  # not 9 (its own), 11
    assert not [s for s in starts if s.date() == day(3).date()]  # time off
    assert starts[0] == day(1, 14) and max(starts) == day(8, 11)  # from 2 h after now to 7 days, inside shifts
    assert slots[0] == VisitSlot(day(1, 14), day(1, 15))


def test_options_respect_earliest_start_and_due_by(busy):
    busy.work_order.earliest_start, busy.work_order.due_by = day(2, 12), day(4, 12)
    slots = reschedule_options(busy, now=day(1, 12))
    assert min(s.start for s in slots) == day(2, 12) and max(s.end for s in slots) == day(4, 12)


def test_reschedule_page_offers_the_free_times(client_as, customer, busy):
    html = client_as(customer, host=HOST).get(f"/visits/{busy.pk}/reschedule/").content.decode()
    assert "Musa's free times in the next 7 days" in html
    assert f'value="{day(2, 10).isoformat()}"' in html
    assert f'value="{day(2, 11).isoformat()}"' not in html and f'value="{day(2, 9).isoformat()}"' not in html


def test_reschedule_through_the_form_moves_the_visit_and_its_window(client_as, customer, busy):
    client = client_as(customer, host=HOST)
    response = client.post(f"/visits/{busy.pk}/reschedule/", {"start": day(4, 14).isoformat()})
    assert response.status_code == 302 and response["Location"] == f"/visits/{busy.pk}/"
    busy.refresh_from_db()
    busy.work_order.refresh_from_db()
    assert (busy.scheduled.lower, busy.scheduled.upper) == (day(4, 14), day(4, 15))
    assert (busy.work_order.window_start, busy.work_order.window_end) == (day(4, 14), day(4, 15))
    assert busy.technician.user.full_name == "Musa Bello"
    assert "Your visit is moved to" in client.get(response["Location"]).content.decode()


def test_reschedule_to_a_taken_time_is_409_with_the_reason(client_as, customer, busy):
    response = client_as(customer, host=HOST).post(f"/visits/{busy.pk}/reschedule/", {"start": day(2, 11).isoformat()})
    assert response.status_code == 409
    assert "The technician is already booked at this time." in response.content.decode()
    busy.refresh_from_db()
    assert busy.scheduled.lower == day(2, 9)


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (lambda: day(2, 18), "The technician has no shift covering this time."),
        (lambda: day(3, 10), "The technician has approved time off at this time."),
        (lambda: day(9, 10), "Choose one of the times offered."),
        (lambda: "next tuesday", "Enter a valid date/time."),
    ],
)
def test_reschedule_to_a_time_not_allowed_is_422_naming_it(client_as, customer, busy, start, message):
    value = start()
    value = value.isoformat() if isinstance(value, datetime.datetime) else value
    response = client_as(customer, host=HOST).post(f"/visits/{busy.pk}/reschedule/", {"start": value})
    assert response.status_code == 422
    assert escape(message) in response.content.decode()
    busy.refresh_from_db()
    assert busy.scheduled.lower == day(2, 9)


def test_reschedule_once_the_technician_is_on_the_way_is_409(client_as, customer, own):
    _en_route(own)
    client = client_as(customer, host=HOST)
    assert "can no longer be moved here" in client.get(f"/visits/{own.pk}/reschedule/").content.decode()
    response = client.post(f"/visits/{own.pk}/reschedule/", {"start": day(4, 10).isoformat()})
    assert response.status_code == 409
    assert escape("The technician is already on the way") in response.content.decode()
    assert Appointment.objects.get(pk=own.pk).scheduled.lower == day(2, 9)


def test_a_visit_cannot_move_to_within_two_hours(own):
    from django.core.exceptions import ValidationError

    from workforce.services.visits import visit_reschedule

    with pytest.raises(ValidationError) as exc:
        visit_reschedule(appointment_id=own.pk, start=day(1, 13), now=day(1, 12))
    assert exc.value.message_dict == {"start": ["Choose one of the times offered."]}
    moved = visit_reschedule(appointment_id=own.pk, start=day(1, 14), now=day(1, 12))
    assert moved.scheduled.lower == day(1, 14)


def test_dashboard_shows_the_next_visit(client_as, customer, account, tech, own, theirs):
    later = visit(account, tech, day(3, 9))
    html = client_as(customer, host=HOST).get("/").content.decode()
    assert f'data-next-visit="{own.pk}"' in html and "09:00–12:00" in html
    assert later.work_order.number not in html and 'href="/visits/"' in html
