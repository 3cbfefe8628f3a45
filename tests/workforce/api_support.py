"""What the workforce API tests share: the contract set of a workforce resource and bulk row makers."""

import datetime
from decimal import Decimal

from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from omni.models import User
from tests.omni.api_contract import LimitOffsetListContract, ReadContract, RoleReadContract, RoleWriteContract
from workforce.models import Technician

from .factories import LAGOS

API = "/api/v1/workforce/"
POINT = {"type": "Point", "coordinates": [3.39, 6.52]}
AREA = {"type": "MultiPolygon", "coordinates": [[[[3.3, 6.4], [3.5, 6.4], [3.5, 6.6], [3.3, 6.6], [3.3, 6.4]]]]}
DAY = datetime.date(2030, 3, 4)  # a Monday; ShiftFactory's shift is 08:00-17:00 UTC that day


def at(hour: int, minute: int = 0, day: datetime.date = DAY) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=datetime.UTC)


def iso(moment: datetime.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def span(start: datetime.datetime, end: datetime.datetime) -> DateTimeTZRange:
    return DateTimeTZRange(start, end, "[)")


class WorkforceContract(ReadContract, RoleReadContract, LimitOffsetListContract, RoleWriteContract):
    """A workforce resource: read by role, listed by limit/offset in a fixed number of queries, written by role."""

    def _assert_stored(self, stored, payload: dict) -> None:
        fields = {field.name: field for field in self.model._meta.concrete_fields}
        for name, value in payload.items():
            if isinstance(value, str | int | bool) and name in fields:
                got = getattr(stored, fields[name].attname)
                if isinstance(got, Decimal):
                    assert got == Decimal(str(value)), name
                else:
                    assert str(got) == str(value), name


def bulk_technicians(n: int, **fields) -> list[Technician]:
    users = User.objects.bulk_create(
        [User(email=f"bulk.tech{i:04d}@example.com", full_name=f"Tech {i:04d}", is_staff=True) for i in range(n)]
    )
    return Technician.objects.bulk_create(
        [Technician(user=user, home_base=LAGOS, time_zone="Africa/Lagos", **fields) for user in users]
    )
