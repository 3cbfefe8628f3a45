"""omni.hosts: every absolute link is a view reversed on its own portal's host, with OMNI_BASE_URL's scheme and
port."""

import io

from django.core.management import call_command

from omni.choices import Audience
from omni.hosts import portal_home_url, portal_url


def _example_hosts(settings):
    settings.OMNI_BASE_URL = "https://omni.example.com:8443"
    settings.OMNI_DOMAIN = "omni.example.com"
    settings.PORTAL_HOSTS = {audience: f"{prefix}.omni.example.com" for audience, prefix in
                             [("customer", "portal"), ("reseller", "reseller"), ("vendor", "vendor")]}  # fmt: skip


def test_portal_url_reverses_on_the_portals_host(settings):
    _example_hosts(settings)
    assert portal_url(Audience.STAFF, "admin:index") == "https://omni.example.com:8443/admin/"
    assert portal_url(Audience.CUSTOMER, "customer:my_account") == "https://portal.omni.example.com:8443/account/"
    assert portal_home_url(Audience.VENDOR) == "https://vendor.omni.example.com:8443/"


def test_portal_urls_prints_every_start_page(settings):
    _example_hosts(settings)
    out = io.StringIO()
    call_command("portal_urls", stdout=out)
    assert out.getvalue().splitlines()[1:] == [
        "  Staff console    https://omni.example.com:8443/",
        "  Admin            https://omni.example.com:8443/admin/",
        "  API docs         https://omni.example.com:8443/api/docs/",
        "  Health           https://omni.example.com:8443/health/",
        "  Customer portal  https://portal.omni.example.com:8443/",
        "  Reseller portal  https://reseller.omni.example.com:8443/",
        "  Vendor portal    https://vendor.omni.example.com:8443/",
    ]
