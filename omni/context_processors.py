from django.conf import settings

from .choices import Audience

PORTAL_NAMES = {
    Audience.STAFF: "DotMac Omni",
    Audience.CUSTOMER: "Customer portal",
    Audience.RESELLER: "Reseller portal",
    Audience.VENDOR: "Vendor portal",
}


def portal(request):
    audience = getattr(request, "portal", Audience.STAFF)
    return {
        "portal": audience,
        "portal_name": PORTAL_NAMES[audience],
        "portal_layout": f"layouts/{audience}.html",
        "omni_domain": settings.OMNI_DOMAIN,
        "map_tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION},
    }
