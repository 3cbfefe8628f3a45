from django.apps import AppConfig, apps
from django.core import checks as system_checks
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OmniConfig(AppConfig):
    name = "omni"
    label = "omni"
    verbose_name = _("Core")
    # Role -> permission codenames ("<app_label>.<codename>") this app grants. Each app declares its own
    # grants the same way; `roles.sync_role_permissions` gathers them after every migrate.
    role_permissions = {
        "Admin": ["omni.view_user", "omni.add_user", "omni.change_user", "omni.view_apitoken", "omni.add_apitoken"],
    }

    def ready(self):
        from . import checks, roles

        system_checks.register(checks.check_uuid_primary_keys, system_checks.Tags.models)
        post_migrate.connect(roles.sync_role_permissions_handler, dispatch_uid="omni.sync_role_permissions")


def role_grants() -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {}
    for config in apps.get_app_configs():
        for role, perms in getattr(config, "role_permissions", {}).items():
            grants.setdefault(role, set()).update(perms)
    return grants
