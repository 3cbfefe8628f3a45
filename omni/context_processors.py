from django.conf import settings

from .choices import Audience
from .sse import live_base

PORTAL_NAMES = {
    Audience.CUSTOMER: "Customer portal",
    Audience.RESELLER: "Reseller portal",
    Audience.VENDOR: "Vendor portal",
}


def portal_name(audience: str) -> str:
    """The staff console goes by the product's name (OMNI_PRODUCT_NAME); each portal by its own."""
    return PORTAL_NAMES.get(audience) or settings.OMNI_PRODUCT_NAME


def portal(request):
    audience = getattr(request, "portal", Audience.STAFF)
    return {
        "portal": audience,
        "portal_name": portal_name(audience),
        "portal_layout": f"layouts/{audience}.html",
        "map_tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION},
        # Where pages open their live streams (omni.sse.live_base; "" = this origin): static/js/inbox_live.js
        # reads it from <meta name="omni-live-base" content="{{ live_base }}">.
        "live_base": live_base(request),
    }
