# The candidate query (selectors.candidate_rows) reads a covering territory's members and probes their skills
# index-only: memberships by (territory, technician) with their dates and kind; technician skills by the unique
# (technician, skill) index, now including level and certificate.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workforce", "0004_merge_issue14"),
    ]

    operations = [
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
