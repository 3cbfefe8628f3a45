from django.apps import AppConfig


class StaffPortalConfig(AppConfig):
    name = "portals.staff"
    label = "portal_staff"
