"""Role groups (created by migration 0002) and the permissions each app grants them."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from .choices import Role


def sync_role_permissions() -> None:
    """Give each role group exactly the permissions the apps declare for it; idempotent. Admin gets them all."""
    from .apps import role_grants

    grants = role_grants()
    for role in Role.values:
        group, _ = Group.objects.get_or_create(name=role)
        if role == Role.ADMIN:
            wanted = Permission.objects.all()
        else:
            codes = grants.get(role, set())
            condition = Q(pk__in=[])
            for code in codes:
                app_label, codename = code.split(".", 1)
                condition |= Q(content_type__app_label=app_label, codename=codename)
            wanted = Permission.objects.filter(condition)
        group.permissions.set(wanted)


def sync_role_permissions_handler(sender, using="default", **kwargs):
    # post_migrate fires once per app with models, in INSTALLED_APPS order; only the last one sees every
    # app's permissions created. Not quite: "omni" is installed before django.contrib.auth, so this receiver runs
    # before auth's create_permissions for that last app, whose permissions (workforce's) would be missing from
    # every role on a fresh database. Create them first (idempotent).
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if using == "default" and sender.label == last.label:
        create_permissions(sender, verbosity=0, using=using, **({"apps": kwargs["apps"]} if "apps" in kwargs else {}))
        sync_role_permissions()
