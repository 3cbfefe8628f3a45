from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the URL of the staff console, admin, API docs and every portal."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port, **options):
        base = f"http://{{host}}:{port}"
        staff = base.format(host=settings.OMNI_DOMAIN)
        rows = [
            ("Staff console", f"{staff}/"),
            ("Admin", f"{staff}/admin/"),
            ("API docs", f"{staff}/api/docs/"),
            ("Health", f"{staff}/health/"),
            ("Customer portal", base.format(host=settings.PORTAL_HOSTS["customer"]) + "/"),
            ("Reseller portal", base.format(host=settings.PORTAL_HOSTS["reseller"]) + "/"),
            ("Vendor portal", base.format(host=settings.PORTAL_HOSTS["vendor"]) + "/"),
        ]
        width = max(len(name) for name, _ in rows)
        self.stdout.write(self.style.SUCCESS("DotMac Omni is starting:"))
        for name, url in rows:
            self.stdout.write(f"  {name.ljust(width)}  {url}")
