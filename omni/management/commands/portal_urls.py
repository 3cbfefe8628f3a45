from django.conf import settings
from django.core.management.base import BaseCommand

from omni.choices import Audience
from omni.hosts import portal_home_url, portal_url


class Command(BaseCommand):
    help = "Print the URL of the staff console, admin, API docs and every portal (from OMNI_BASE_URL)."

    def handle(self, *args, **options):
        rows = [
            ("Staff console", portal_home_url(Audience.STAFF)),
            ("Admin", portal_url(Audience.STAFF, "admin:index")),
            ("API docs", portal_url(Audience.STAFF, "api-docs")),
            ("Health", portal_url(Audience.STAFF, "health")),
            ("Customer portal", portal_home_url(Audience.CUSTOMER)),
            ("Reseller portal", portal_home_url(Audience.RESELLER)),
            ("Vendor portal", portal_home_url(Audience.VENDOR)),
        ]
        width = max(len(name) for name, _ in rows)
        self.stdout.write(self.style.SUCCESS(f"{settings.OMNI_PRODUCT_NAME} is starting:"))
        for name, url in rows:
            self.stdout.write(f"  {name.ljust(width)}  {url}")
