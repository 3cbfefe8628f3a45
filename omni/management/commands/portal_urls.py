from django.conf import settings
from django.core.management.base import BaseCommand

from omni.choices import Audience
from omni.hosts import portal_base_url


class Command(BaseCommand):
    help = "Print the URL of the staff console, admin, API docs and every portal (from OMNI_BASE_URL)."

    def handle(self, *args, **options):
        staff = portal_base_url(Audience.STAFF)
        rows = [
            ("Staff console", f"{staff}/"),
            ("Admin", f"{staff}/admin/"),
            ("API docs", f"{staff}/api/docs/"),
            ("Health", f"{staff}/health/"),
            ("Customer portal", f"{portal_base_url(Audience.CUSTOMER)}/"),
            ("Reseller portal", f"{portal_base_url(Audience.RESELLER)}/"),
            ("Vendor portal", f"{portal_base_url(Audience.VENDOR)}/"),
        ]
        width = max(len(name) for name, _ in rows)
        self.stdout.write(self.style.SUCCESS(f"{settings.OMNI_PRODUCT_NAME} is starting:"))
        for name, url in rows:
            self.stdout.write(f"  {name.ljust(width)}  {url}")
