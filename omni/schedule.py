"""Celery beat's schedule (CELERY_BEAT_SCHEDULE in omni/settings/workers.py): what beat sends and when.
django-celery-beat copies these entries into the database at start, where the admin edits them; of an entry's options it
keeps only `expire_seconds` (an `expires` here is silently dropped)."""

from celery.schedules import crontab


def beat_schedule(*, heartbeat_interval: int) -> dict:
    return {
        "omni-heartbeat": {"task": "omni.tasks.heartbeat", "schedule": heartbeat_interval},
        "notifications-deliveries-scan": {"task": "notifications.tasks.deliveries_scan", "schedule": 10},
        "notifications-webhook-scan": {"task": "notifications.tasks.webhook_scan", "schedule": 5},
        "notifications-outbox-sweep": {"task": "notifications.tasks.outbox_sweep", "schedule": 5},
        # Nightly in TIME_ZONE, after the hours daylight saving skips or repeats (01:00-03:00 in Europe and America).
        "notifications-retention-prune": {
            "task": "notifications.tasks.retention_prune",
            "schedule": crontab(hour=3, minute=15),
        },
        # Sent quotes past their validity date become expired, just after midnight in TIME_ZONE (set-based SQL).
        "crm-quotes-expire": {
            "task": "crm.tasks.quotes_expire",
            "schedule": crontab(hour=0, minute=10),
            "options": {"expire_seconds": 3600},
        },
        # Snoozed inbox conversations whose time has come are reopened (one UPDATE).
        "crm-inbox-snoozed-wake": {
            "task": "crm.tasks.inbox_snoozed_wake",
            "schedule": 60.0,
            "options": {"expire_seconds": 50},
        },
        # Processed SMS/WhatsApp webhook events past INBOX_WEBHOOK_RETENTION_DAYS, nightly in TIME_ZONE.
        "crm-inbox-webhooks-prune": {
            "task": "crm.tasks.inbox_webhooks_prune",
            "schedule": crontab(hour=3, minute=25),
            "options": {"expire_seconds": 3000},
        },
        "tickets-calendars-ical-sync": {
            "task": "tickets.tasks.calendars_ical_sync",
            "schedule": crontab(hour=3, minute=35),
        },
        # SLA warnings, breaches and escalations (set-based SQL); the task expires before the next is sent.
        "tickets-sla-scan": {"task": "tickets.tasks.sla_scan", "schedule": 60, "options": {"expire_seconds": 50}},
        "tickets-pending-remind": {
            "task": "tickets.tasks.pending_remind",
            "schedule": crontab(minute=5),
            "options": {"expire_seconds": 3000},
        },
        # The path cache (network.services.paths): due rebuilds every minute, a full reconcile nightly.
        "network-paths-rebuild": {
            "task": "network.tasks.paths_rebuild_due",
            "schedule": 60,
            "options": {"expire_seconds": 50},
        },
        "network-paths-reconcile": {
            "task": "network.tasks.paths_reconcile",
            "schedule": crontab(hour=3, minute=55),
            "options": {"expire_seconds": 3000},
        },
        "tickets-pending-autoclose": {
            "task": "tickets.tasks.pending_autoclose",
            "schedule": crontab(minute=35),
            "options": {"expire_seconds": 3000},
        },
        # Hourly: a lead due today is reminded in the first run of the day (in TIME_ZONE), once per follow-up date.
        "crm-lead-follow-up-remind": {
            "task": "crm.tasks.lead_follow_up_remind",
            "schedule": crontab(minute=15),
            "options": {"expire_seconds": 3000},
        },
        # Customers' visits of tomorrow are reminded once (per appointment and start), hourly from 08:20 to 20:20
        # in TIME_ZONE, so a visit booked during the day for tomorrow is still reminded.
        "workforce-visit-reminders": {
            "task": "workforce.tasks.visit_reminders_send",
            "schedule": crontab(minute=20, hour="8-20"),
            "options": {"expire_seconds": 3000},
        },
        # Appointments whose arrival will pass their window's end (set-based SQL, each flagged and told once).
        "workforce-jeopardy-scan": {
            "task": "workforce.tasks.jeopardy_scan",
            "schedule": 60,
            "options": {"expire_seconds": 50},
        },
        # Shifts from the weekly patterns, four weeks ahead (idempotent), nightly in TIME_ZONE.
        "workforce-shifts-generate": {
            "task": "workforce.tasks.shifts_generate",
            "schedule": crontab(hour=2, minute=45),
            "options": {"expire_seconds": 3000},
        },
        # The SMS and WhatsApp webhooks' stored events a lost kick left unprocessed (SKIP LOCKED; idempotent).
        "crm-inbox-webhooks-sweep": {
            "task": "crm.tasks.inbox_webhooks_process",
            "schedule": 30.0,
            "options": {"expire_seconds": 25},
        },
    }
