# Indexes for what is searched: the delivery log (trigram, any part of the address or name) and the follower
# lookup notify_followers runs on every domain event.

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently, TrigramExtension
from django.db import migrations, models


class Migration(migrations.Migration):
    # CONCURRENTLY: the delivery log may hold months of rows; building its indexes must not block sending.
    atomic = False

    dependencies = [
        ("notifications", "0002_outbox"),
    ]

    operations = [
        TrigramExtension(),
        AddIndexConcurrently(
            model_name="delivery",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("address"), name="gin_trgm_ops"
                ),
                name="notifications_dlv_address_trgm",
            ),
        ),
        AddIndexConcurrently(
            model_name="delivery",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("recipient_name"), name="gin_trgm_ops"
                ),
                name="notifications_dlv_name_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="preference",
            index=models.Index(
                condition=models.Q(("enabled", True)),
                fields=["event", "recipient_key"],
                name="notifications_pref_followers",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
        ),
    ]
