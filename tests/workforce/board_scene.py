"""A dispatch day for the board's tests: Monday 4 March 2030 in Lagos (UTC+1), one territory, three technicians on
shift 08:00-17:00 UTC (09:00-18:00 local), Bola with time off 14:00-16:00 UTC, two splicing jobs booked at 09:00
UTC (one each for Ada and Bola) and one unassigned splicing job; Chidi has no splicing skill."""

import datetime
from dataclasses import dataclass

from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from tests.omni.factories import StaffFactory
from workforce import services
from workforce.choices import TimeOffStatus
from workforce.models import Appointment, Technician, TimeOff, WorkOrder

from .factories import (
    MembershipFactory,
    ShiftFactory,
    SkillFactory,
    TechnicianFactory,
    TechnicianSkillFactory,
    TerritoryFactory,
    WorkOrderFactory,
)

DAY = datetime.date(2030, 3, 4)
UTC = datetime.UTC


def at(hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2030, 3, 4, hour, minute, tzinfo=UTC)


@dataclass
class Scene:
    ada: Technician
    bola: Technician
    chidi: Technician
    ada_job: Appointment
    bola_job: Appointment
    unassigned: WorkOrder


def technician(name: str, territory, *, splicing: bool = True) -> Technician:
    tech = TechnicianFactory(user=StaffFactory(full_name=name, roles=["Technician"]))
    MembershipFactory(technician=tech, territory=territory)
    ShiftFactory(technician=tech, during=DateTimeTZRange(at(8), at(17)))
    if splicing:
        TechnicianSkillFactory(technician=tech, skill=SkillFactory(code="fiber-splicing"), level=3)
    return tech


def splicing_job(**fields) -> WorkOrder:
    work_order = WorkOrderFactory(window_start=at(8), window_end=at(17), **fields)
    services.work_order_skills_set(
        work_order_id=work_order.pk, required_skills=[{"skill": SkillFactory(code="fiber-splicing"), "min_level": 3}]
    )
    return work_order


def build() -> Scene:
    territory = TerritoryFactory(code="lagos-island", name="Lagos Island")
    ada = technician("Ada Okafor", territory)
    bola = technician("Bola Eze", territory)
    chidi = technician("Chidi Obi", territory, splicing=False)
    TimeOff.objects.create(
        technician=bola, during=DateTimeTZRange(at(14), at(16)), reason="Clinic", status=TimeOffStatus.APPROVED
    )
    ada_job = services.appointment_book(work_order_id=splicing_job().pk, technician=ada, start=at(9))
    bola_job = services.appointment_book(work_order_id=splicing_job().pk, technician=bola, start=at(9))
    return Scene(ada, bola, chidi, ada_job, bola_job, splicing_job())
