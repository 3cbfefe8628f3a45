# The attempt log lives in DeliveryAttempt rows (copied from it by 0004).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_delivery_attempts"),
    ]

    operations = [
        migrations.RemoveField(model_name="delivery", name="provider_response"),
    ]
