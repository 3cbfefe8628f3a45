import datetime

import factory

from tickets.models import BusinessCalendar, BusinessHours, Holiday, SLAPolicy, Team, Ticket


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    """Builds rows for tests (tests of the services' rules call services)."""

    class Meta:
        model = BusinessCalendar

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "Africa/Lagos"
    country = "NG"


def office_hours(calendar, *, start=datetime.time(8), end=datetime.time(17), weekdays=range(5)):
    """Mon-Fri 08:00-17:00 unless told otherwise."""
    return BusinessHours.objects.bulk_create(
        BusinessHours(calendar=calendar, weekday=day, start=start, end=end) for day in weekdays
    )


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday

    calendar = factory.SubFactory(BusinessCalendarFactory)
    date = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n))
    name = factory.Sequence(lambda n: f"Holiday {n}")


class SLAPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLAPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    position = factory.Sequence(lambda n: n + 1)
    calendar = factory.SubFactory(BusinessCalendarFactory)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if extracted:
            self.members.set(extracted)


class TicketFactory(factory.django.DjangoModelFactory):
    """A row as it is (status given directly: tests of moves call services.ticket_transition)."""

    class Meta:
        model = Ticket

    account = factory.SubFactory("tests.crm.factories.AccountFactory")
    subject = factory.Sequence(lambda n: f"No internet {n}")
    description = "The light on the router is red."
    category = "connectivity"
