from django.apps import AppConfig


class VendorPortalConfig(AppConfig):
    name = "portals.vendor"
    label = "portal_vendor"
