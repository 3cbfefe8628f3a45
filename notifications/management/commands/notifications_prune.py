"""`manage.py notifications_prune [--dry-run] [--batch-size N]`: the nightly retention prune, by hand."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from notifications import retention


class Command(BaseCommand):
    help = (
        "Delete notification rows past their retention (NOTIFICATIONS_RETENTION_DAYS, WEBHOOK_RETENTION_DAYS, "
        "INAPP_RETENTION_DAYS, OUTBOX_RETENTION_DAYS) in batches, one short transaction each. --dry-run only counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")
        parser.add_argument(
            "--batch-size", type=int, default=retention.BATCH_SIZE, help="Rows per transaction (default %(default)s)."
        )

    def handle(self, *args, dry_run: bool, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        now = timezone.now()  # one cutoff per kind for the counts and the deletes alike
        counts = retention.prune(now=now, dry_run=True)
        for kind in retention.KINDS:
            days = retention.retention_days(kind)
            if not days:
                self.stdout.write(f"{kind.description}: kept forever ({kind.setting}=0)")
                continue
            extra = f" with {counts['webhook_attempts']} attempts" if kind.key == "webhook_messages" else ""
            before = retention.cutoff(kind, now=now)
            self.stdout.write(
                f"{kind.description} older than {days} days (created before {before:%Y-%m-%d %H:%M %Z}): "
                f"{counts[kind.key]}{extra}"
            )
        if dry_run:
            self.stdout.write("Dry run: nothing deleted.")
            return
        deleted = dict.fromkeys(retention.COUNTS, 0)
        # Progress on stderr (tqdm's default), one bar per kind as it is worked on; the summary goes to stdout.
        bar, bar_key = None, None
        try:
            for key, batch in retention.prune_batches(now=now, batch_size=batch_size):
                if key != bar_key:
                    if bar is not None:
                        bar.close()
                    bar, bar_key = tqdm(total=counts[key], desc=key, unit="row"), key
                bar.update(batch.get(key, 0))
                for name, n in batch.items():
                    deleted[name] += n
        finally:
            if bar is not None:
                bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {deleted['deliveries']} deliveries, {deleted['webhook_messages']} webhook messages "
                f"({deleted['webhook_attempts']} attempts), {deleted['inapp_notifications']} in-app notifications, "
                f"{deleted['outbox_events']} outbox events."
            )
        )
