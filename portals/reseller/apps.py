from django.apps import AppConfig


class ResellerPortalConfig(AppConfig):
    name = "portals.reseller"
    label = "portal_reseller"
