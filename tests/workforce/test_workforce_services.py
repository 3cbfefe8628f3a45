"""The workforce services' rules: constraints surface as 400s naming the field, transitions as 409s naming both
statuses, bookings respect shifts and time off, shift generation is idempotent, events land in the outbox."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.backends.postgresql.psycopg_any import DateRange, DateTimeTZRange

from notifications.models import OutboxEvent
from omni.exceptions import Conflict, InvalidTransition
from tests.omni.factories import StaffFactory
from tests.tickets.factories import TicketFactory
from tests.workforce.factories import (
    MembershipFactory,
    ShiftFactory,
    SkillFactory,
    TechnicianFactory,
    TerritoryFactory,
    WorkOrderFactory,
    WorkTypeFactory,
)
from workforce import services
from workforce.choices import AppointmentStatus, MembershipKind, TimeOffStatus, WorkOrderStatus
from workforce.models import Appointment, Shift, ShiftPattern, TechnicianSkill, WorkOrderSkill, WorkTypeSkill

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def at(hour, minute=0, day=4):
    return datetime.datetime(2030, 3, day, hour, minute, tzinfo=UTC)  # 2030-03-04 is a Monday


def test_second_primary_territory_in_overlapping_dates_is_400_on_valid():
    technician = TechnicianFactory()
    MembershipFactory(technician=technician, valid=DateRange(datetime.date(2030, 1, 1), datetime.date(2030, 6, 1)))
    with pytest.raises(ValidationError) as exc:
        services.membership_create(
            technician=technician,
            territory=TerritoryFactory(),
            kind=MembershipKind.PRIMARY,
            valid=DateRange(datetime.date(2030, 5, 1), None),
        )
    assert "valid" in exc.value.message_dict or "__all__" in exc.value.message_dict
    # a secondary one, or a primary one after the first ends, is fine
    services.membership_create(
        technician=technician,
        territory=TerritoryFactory(),
        kind=MembershipKind.SECONDARY,
        valid=DateRange(datetime.date(2030, 5, 1), None),
    )
    services.membership_create(
        technician=technician, territory=TerritoryFactory(), valid=DateRange(datetime.date(2030, 6, 1), None)
    )


def test_technician_skills_are_replaced_and_level_is_checked():
    technician = TechnicianFactory()
    splicing, truck = SkillFactory(code="fiber-splicing"), SkillFactory(code="bucket-truck")
    services.technician_skills_set(technician_id=technician.pk, skills=[{"skill": splicing, "level": 4}])
    services.technician_skills_set(
        technician_id=technician.pk, skills=[{"skill": truck, "level": 1, "certified_until": datetime.date(2031, 1, 1)}]
    )
    assert list(TechnicianSkill.objects.filter(technician=technician).values_list("skill__code", flat=True)) == [
        "bucket-truck"
    ]
    with pytest.raises(ValidationError) as exc:
        services.technician_skills_set(technician_id=technician.pk, skills=[{"skill": truck, "level": 6}])
    assert "skills" in exc.value.message_dict


def test_vendor_crew_needs_a_vendor():
    with pytest.raises(ValidationError):
        services.technician_create(user=StaffFactory(), kind="vendor")


def test_shift_generation_from_weekday_and_rrule_patterns_is_idempotent():
    technician = TechnicianFactory()
    services.shift_pattern_create(
        technician=technician,
        weekdays="0,1,2,3,4",
        start=datetime.time(8),
        end=datetime.time(17),
        time_zone="Africa/Lagos",
    )
    other = TechnicianFactory()
    services.shift_pattern_create(
        technician=other,
        weekdays="",
        rrule="FREQ=WEEKLY;BYDAY=SA",
        start=datetime.time(9),
        end=datetime.time(13),
        kind="on_call",
        time_zone="Africa/Lagos",
    )
    assert services.shifts_generate(weeks=2, start=datetime.date(2030, 3, 4)) == 10 + 2
    assert services.shifts_generate(weeks=2, start=datetime.date(2030, 3, 4)) == 0
    first = Shift.objects.filter(technician=technician).order_by("during").first()
    assert first.during.lower == datetime.datetime(2030, 3, 4, 7, tzinfo=UTC)  # 08:00 in Lagos (UTC+1)
    assert Shift.objects.filter(technician=other, kind="on_call").count() == 2
    # extending the horizon adds only the new weeks
    assert services.shifts_generate(weeks=3, start=datetime.date(2030, 3, 4)) == 6


def test_bad_rrule_or_no_weekdays_is_400_naming_the_field():
    technician = TechnicianFactory()
    with pytest.raises(ValidationError) as exc:
        services.shift_pattern_create(
            technician=technician, weekdays="", rrule="FREQ=SOMETIMES", start=datetime.time(8), end=datetime.time(9)
        )
    assert "rrule" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.shift_pattern_create(technician=technician, weekdays="9", start=datetime.time(8), end=datetime.time(9))
    assert "weekdays" in exc.value.message_dict
    assert not ShiftPattern.objects.exists()


def test_work_order_copies_the_work_types_skills_duration_and_priority_and_is_numbered():
    work_type = WorkTypeFactory(default_duration_minutes=90, default_priority="high")
    WorkTypeSkill.objects.create(work_type=work_type, skill=SkillFactory(code="fiber-splicing"), min_level=3)
    template = WorkOrderFactory.build()
    template.account.save()
    work_order = services.work_order_create(work_type=work_type, account=template.account, location=template.location)
    assert work_order.number.startswith("WO-") and len(work_order.number) == 9
    assert (work_order.duration_minutes, work_order.priority, work_order.status) == (90, "high", "new")
    assert list(WorkOrderSkill.objects.filter(work_order=work_order).values_list("skill__code", "min_level")) == [
        ("fiber-splicing", 3)
    ]
    assert OutboxEvent.objects.filter(event="workforce.work_order.created", data__number=work_order.number).exists()


def test_work_order_from_a_ticket_takes_its_account_and_resolution_due():
    ticket = TicketFactory()
    due = datetime.datetime(2030, 3, 5, 12, tzinfo=UTC)
    type(ticket).objects.filter(pk=ticket.pk).update(resolution_due=due)
    ticket.refresh_from_db()
    work_order = services.work_order_create(work_type=WorkTypeFactory(), ticket=ticket)
    assert (work_order.account_id, work_order.due_by, work_order.ticket_id) == (ticket.account_id, due, ticket.pk)
    other = WorkOrderFactory.build().account
    other.save()
    with pytest.raises(ValidationError) as exc:
        services.work_order_create(work_type=WorkTypeFactory(), ticket=ticket, account=other)
    assert "account" in exc.value.message_dict


def test_window_end_before_start_is_400_naming_window_end():
    with pytest.raises(ValidationError) as exc:
        services.work_order_update(work_order_id=WorkOrderFactory().pk, window_start=at(12), window_end=at(8))
    assert "window_end" in exc.value.message_dict or "__all__" in exc.value.message_dict


def test_transition_outside_the_table_is_409_naming_both_statuses():
    work_order = WorkOrderFactory()
    with pytest.raises(InvalidTransition) as exc:
        services.work_order_transition(work_order_id=work_order.pk, to=WorkOrderStatus.COMPLETED)
    assert "new" in exc.value.message and "completed" in exc.value.message
    services.work_order_transition(work_order_id=work_order.pk, to=WorkOrderStatus.CANCELLED)
    assert services.work_order_transition(work_order_id=work_order.pk, to=WorkOrderStatus.CANCELLED).status == (
        "cancelled"
    )


@pytest.fixture
def booked_scene():
    technician = TechnicianFactory()
    ShiftFactory(technician=technician, during=DateTimeTZRange(at(8), at(17)))
    return technician, WorkOrderFactory(), WorkOrderFactory()


def test_booking_schedules_the_work_order_and_back_to_back_is_fine(booked_scene):
    technician, first, second = booked_scene
    services.appointment_book(work_order_id=first.pk, technician=technician, start=at(9))
    services.appointment_book(work_order_id=second.pk, technician=technician, start=at(10))
    first.refresh_from_db()
    assert first.status == WorkOrderStatus.SCHEDULED
    assert Appointment.objects.filter(technician=technician).count() == 2
    events = set(OutboxEvent.objects.values_list("event", flat=True))
    assert {"workforce.work_order.scheduled", "workforce.work_order.status_changed"} <= events


def test_overlap_is_409(booked_scene):
    technician, first, second = booked_scene
    services.appointment_book(work_order_id=first.pk, technician=technician, start=at(9))
    with pytest.raises(Conflict):
        services.appointment_book(work_order_id=second.pk, technician=technician, start=at(9, 30))
    second.refresh_from_db()
    assert second.status == WorkOrderStatus.NEW


def test_booking_outside_a_shift_or_in_approved_time_off_is_400_on_start(booked_scene):
    technician, first, _second = booked_scene
    with pytest.raises(ValidationError) as exc:
        services.appointment_book(work_order_id=first.pk, technician=technician, start=at(16, 30))
    assert "shift" in exc.value.message_dict["start"][0]
    off = services.time_off_request(technician=technician, start=at(12), end=at(14), reason="Dentist")
    services.appointment_book(work_order_id=first.pk, technician=technician, start=at(12))  # only requested
    services.appointment_cancel(appointment_id=Appointment.objects.get().pk)
    services.time_off_decide(time_off_id=off.pk, approve=True)
    assert off.__class__.objects.get().status == TimeOffStatus.APPROVED
    with pytest.raises(ValidationError) as exc:
        services.appointment_book(work_order_id=first.pk, technician=technician, start=at(13))
    assert "time off" in exc.value.message_dict["start"][0]


def test_cancel_sends_the_work_order_back_to_new_and_frees_the_slot(booked_scene):
    technician, first, second = booked_scene
    appointment = services.appointment_book(work_order_id=first.pk, technician=technician, start=at(9))
    services.appointment_cancel(appointment_id=appointment.pk)
    services.appointment_cancel(appointment_id=appointment.pk)  # a repeat is a no-op
    first.refresh_from_db()
    assert first.status == WorkOrderStatus.NEW
    services.appointment_book(work_order_id=second.pk, technician=technician, start=at(9))


def test_field_statuses_move_the_appointment_and_completion_is_an_event(booked_scene):
    technician, first, _second = booked_scene
    appointment = services.appointment_book(work_order_id=first.pk, technician=technician, start=at(9))
    for status in ("dispatched", "en_route", "on_site", "completed"):
        services.work_order_transition(work_order_id=first.pk, to=status)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.DONE
    assert appointment.actual_start and appointment.actual_end
    assert OutboxEvent.objects.filter(event="workforce.work_order.completed").count() == 1


def test_reschedule_checks_like_booking(booked_scene):
    technician, first, second = booked_scene
    a = services.appointment_book(work_order_id=first.pk, technician=technician, start=at(9))
    services.appointment_book(work_order_id=second.pk, technician=technician, start=at(11))
    with pytest.raises(Conflict):
        services.appointment_reschedule(appointment_id=a.pk, start=at(11, 30))
    moved = services.appointment_reschedule(appointment_id=a.pk, start=at(13))
    assert moved.scheduled.lower == at(13)
