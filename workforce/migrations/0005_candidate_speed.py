# The candidate query (selectors.candidate_rows) reads a covering territory's members and probes their skills
# index-only: memberships by (territory, technician) with their dates and kind; technician skills by the unique
# (technician, skill) index, now including level and certificate; shifts by technician and start (no start:
# -infinity) and range, for the latest shift starting by a slot.

from django.db import migrations, models
from django.db.models.functions import Cast, Coalesce


class Migration(migrations.Migration):
    dependencies = [
        ("workforce", "0004_merge_issue14"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="shift",
            index=models.Index(
                models.F("technician"),
                Coalesce(
                    models.Func(models.F("during"), function="lower", output_field=models.DateTimeField()),
                    Cast(models.Value("-infinity"), models.DateTimeField()),
                ),
                models.F("during"),
                name="workforce_shift_tech_start",
            ),
        ),
        migrations.AddIndex(
            model_name="territorymembership",
            index=models.Index(
                fields=["territory", "technician"], include=("valid", "kind"), name="workforce_membership_members"
            ),
        ),
        migrations.RemoveConstraint(
            model_name="technicianskill",
            name="workforce_techskill_unique",
        ),
        migrations.AddConstraint(
            model_name="technicianskill",
            constraint=models.UniqueConstraint(
                fields=("technician", "skill"),
                include=("level", "certified_until"),
                name="workforce_techskill_unique",
            ),
        ),
    ]
