"""The project's system checks (omni.checks): a model of ours without a UUID primary key fails `manage.py check`,
so it fails CI before it gets a migration."""

import pytest
from django.core import checks
from django.core.management import call_command
from django.db import models

from omni.models import TimeStampedModel


def _project_errors(app_configs=None) -> list[tuple[str, str]]:
    found = checks.run_checks(app_configs=app_configs, tags=[checks.Tags.models])
    return [(error.id, error.msg) for error in found if error.id.startswith("omni.")]


def test_every_model_of_our_apps_has_a_uuid_primary_key():
    # Django's and the libraries' models (auth.Group, django_celery_beat's, ...) keep their integer keys: only
    # the project's apps are held to UUIDs.
    assert _project_errors() == []
    call_command("check")  # raises SystemCheckError on any error


@pytest.mark.django_isolate_apps("crm")
def test_a_model_without_a_uuid_primary_key_fails_the_check(django_isolated_apps):
    class Gadget(models.Model):  # the pk Django gives: DEFAULT_AUTO_FIELD's
        name = models.CharField(max_length=20)

        class Meta:
            app_label = "crm"

    class Widget(TimeStampedModel):
        class Meta:
            app_label = "crm"

    class WidgetPart(Widget):  # multi-table inheritance: its key is the parent's UUID
        class Meta:
            app_label = "crm"

    assert _project_errors(django_isolated_apps.get_app_configs()) == [
        ("omni.E001", "crm.Gadget has a BigAutoField primary key, not a UUID.")
    ]
