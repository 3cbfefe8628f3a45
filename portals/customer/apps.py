from django.apps import AppConfig


class CustomerPortalConfig(AppConfig):
    name = "portals.customer"
    label = "portal_customer"
