"""Absolute URLs on each portal's host, for links in emails (invitations, notifications)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from .choices import Audience

URLCONFS = {
    Audience.STAFF: "omni.urls",
    Audience.CUSTOMER: "portals.customer.urls",
    Audience.RESELLER: "portals.reseller.urls",
    Audience.VENDOR: "portals.vendor.urls",
}


def portal_base_url(audience: str) -> str:
    """OMNI_BASE_URL (the staff host, e.g. https://omni.example.com) with the portal's host put in."""
    base = urlsplit(settings.OMNI_BASE_URL)
    host = settings.PORTAL_HOSTS.get(audience, settings.OMNI_DOMAIN)
    port = f":{base.port}" if base.port else ""
    return f"{base.scheme}://{host}{port}"


def portal_url(audience: str, viewname: str, **kwargs) -> str:
    return portal_base_url(audience) + reverse(viewname, urlconf=URLCONFS[audience], kwargs=kwargs or None)
