"""Absolute URLs on each portal's host, for links in emails, events, callbacks and commands: build them with
portal_url (Audience.STAFF for the staff host), never by hand from OMNI_BASE_URL and reverse(...)."""

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
HOME_VIEWS = {
    Audience.STAFF: "staff:dashboard",
    Audience.CUSTOMER: "customer:dashboard",
    Audience.RESELLER: "reseller:dashboard",
    Audience.VENDOR: "vendor:dashboard",
}


def portal_base_url(audience: str) -> str:
    """OMNI_BASE_URL (the staff host, e.g. https://omni.example.com) with the portal's host put in: the origin, no
    path. Links are built with portal_url."""
    base = urlsplit(settings.OMNI_BASE_URL)
    host = settings.PORTAL_HOSTS.get(audience, settings.OMNI_DOMAIN)
    port = f":{base.port}" if base.port else ""
    return f"{base.scheme}://{host}{port}"


def portal_url(audience: str, viewname: str, **kwargs) -> str:
    """The absolute URL of `viewname` on the audience's portal, reversed in that portal's URLconf (NoReverseMatch
    for a view the portal does not serve)."""
    return portal_base_url(audience) + reverse(viewname, urlconf=URLCONFS[audience], kwargs=kwargs or None)


def portal_home_url(audience: str) -> str:
    """The start page of the audience's portal (the staff console's dashboard for staff)."""
    return portal_url(audience, HOME_VIEWS[audience])
