"""The jeopardy scan (DOMAIN.md C.4.6), beat every minute: live appointments whose arrival will be after their
work order's arrival window ends are flagged (`at_risk_at`) and a workforce.appointment.at_risk event is recorded
for each, in three statements whatever the number of appointments.

Projected arrival: the ETA when the technician (or the route) gave one; without it, the scheduled start, or later
when the technician can no longer make it: `now` for a technician already en route, `now` + the appointment's
travel time for one who has not left. On site, done and cancelled appointments are never at risk.

Each appointment is flagged once (`at_risk_at IS NULL` in the UPDATE): a second scan, or two at once (SKIP
LOCKED, and the UPDATE re-checks the flag), record nothing again. Windows that ended more than LOOKBACK ago are
left alone: a scan on a database with old unfinished appointments must not flood the dispatchers."""

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from .. import events
from ..selectors_board import PROJECTED_ARRIVAL_SQL

LOOKBACK = timedelta(days=1)

# Appointments a service holds are skipped (SKIP LOCKED): the next scan sees them as the service left them.
FLAG_SQL = f"""
WITH due AS (
    SELECT a.id, {PROJECTED_ARRIVAL_SQL} AS projected, (lower(a.scheduled) AT TIME ZONE t.time_zone)::date AS day
      FROM workforce_appointment a JOIN workforce_workorder w ON w.id = a.work_order_id
      JOIN workforce_technician t ON t.id = a.technician_id
     WHERE a.at_risk_at IS NULL AND a.actual_start IS NULL
       AND a.status IN ('booked', 'dispatched', 'en_route')
       AND w.window_end IS NOT NULL AND w.window_end > %(since)s
       AND {PROJECTED_ARRIVAL_SQL} > w.window_end
       FOR NO KEY UPDATE OF a SKIP LOCKED
)
UPDATE workforce_appointment a
   SET at_risk_at = %(now)s, updated_at = %(now)s
  FROM due
 WHERE a.id = due.id AND a.at_risk_at IS NULL
RETURNING a.id, a.work_order_id, a.technician_id, lower(a.scheduled), upper(a.scheduled), a.eta, due.projected,
          due.day
"""


@transaction.atomic
def appointments_flag_at_risk(*, now: datetime | None = None) -> int:
    """Flag every appointment newly at risk and record one workforce.appointment.at_risk event for each: one
    UPDATE ... RETURNING, one SELECT of their work orders, one INSERT of events. Idempotent (see the module).
    Returns how many this call flagged."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(FLAG_SQL, {"now": now, "since": now - LOOKBACK})
        flagged = cursor.fetchall()
    events.appointments_at_risk_record(
        [
            {
                "appointment": appointment_id,
                "work_order": work_order_id,
                "technician": technician_id,
                "start": start,
                "end": end,
                "eta": eta,
                "projected_arrival": projected,
                "at_risk_at": now,
                "day": day,
            }
            for appointment_id, work_order_id, technician_id, start, end, eta, projected, day in flagged
        ],
        now=now,
    )
    return len(flagged)
