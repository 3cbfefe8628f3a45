from django.contrib.postgres.operations import BtreeGistExtension, CreateExtension, TrigramExtension
from django.db import migrations

from omni.db import NEXT_NUMBER_FUNCTION_SQL

ROLES = ["Agent", "Dispatcher", "Technician", "Inventory manager", "Sales", "Admin"]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("omni", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        CreateExtension("postgis"),
        TrigramExtension(),  # ?search= uses trigram GIN indexes
        BtreeGistExtension(),  # exclusion constraints (bookings that must not overlap)
        migrations.RunSQL(NEXT_NUMBER_FUNCTION_SQL, "DROP FUNCTION IF EXISTS omni_next_number(text, text, integer);"),
        # Role groups; the permissions each role has are synced from the apps after every migrate.
        migrations.RunPython(create_roles, remove_roles),
    ]
