"""`manage.py calendar_holidays CALENDAR --year 2026 [--year 2027 ...] [--country NG] [--subdivision LA]
[--all]`: seed a business calendar's public holidays from the `holidays` package, by hand or from a deploy
script."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from tqdm import tqdm

from omni.admin import refusal_messages
from tickets import services
from tickets.models import BusinessCalendar


class Command(BaseCommand):
    help = (
        "Add the public holidays of a country (the calendar's own by default) for each --year to a business "
        "calendar, named or by id; --all seeds every calendar that has a country. Dates a calendar has already "
        "(entered by hand, say) are kept, so running it twice adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("calendar", nargs="?", help="The calendar's name or id.")
        parser.add_argument("--all", action="store_true", help="Every calendar with a country.")
        parser.add_argument("--year", type=int, action="append", required=True, help="A year; repeat for more.")
        parser.add_argument("--country", default="", help="ISO 3166 code, instead of the calendar's.")
        parser.add_argument("--subdivision", default="", help="A state or region code, e.g. LA (Lagos).")

    def _calendars(self, name: str | None, every: bool) -> list[BusinessCalendar]:
        if every == bool(name):
            raise CommandError("Name one calendar, or give --all.")
        if every:
            return list(BusinessCalendar.objects.exclude(country="").order_by("name"))
        match = Q(name=name)
        try:
            match |= Q(pk=name) if len(name) == 36 else Q()
            calendar = BusinessCalendar.objects.get(match)
        except (BusinessCalendar.DoesNotExist, ValidationError):
            raise CommandError(f"No business calendar is named {name!r}.") from None
        return [calendar]

    def handle(self, *args, calendar, all, year, country, subdivision, **options):
        calendars = self._calendars(calendar, all)
        work = [(cal, y) for cal in calendars for y in sorted(set(year))]
        total = 0
        # Progress on stderr (tqdm's default); a line per calendar and year on stdout.
        for cal, y in tqdm(work, desc="seeding", unit="year", disable=len(work) < 2):
            try:
                added = services.holidays_seed(calendar_id=cal.pk, year=y, country=country, subdivision=subdivision)
            except ValidationError as exc:
                raise CommandError(f"{cal}, {y}: {'; '.join(refusal_messages(exc))}") from None
            total += added
            self.stdout.write(f"{cal} {y}: {added} holiday(s) added")
        self.stdout.write(self.style.SUCCESS(f"{total} holiday(s) added to {len(calendars)} calendar(s)."))
