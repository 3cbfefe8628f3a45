"""System checks of the project's own conventions, registered by OmniConfig.ready(): `manage.py check`, migrate
and runserver run them, and tests/omni/test_checks.py runs them in the suite."""

from django.apps import apps
from django.conf import settings
from django.core import checks


def is_project_app(app_config) -> bool:
    """An app of this project (its package sits at the project's root), not Django's or a library's."""
    return (settings.BASE_DIR / app_config.name.partition(".")[0]).is_dir()


def check_uuid_primary_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """omni.E001: every concrete model of our apps has a UUID primary key (ARCHITECTURE.md "Data conventions").

    DEFAULT_AUTO_FIELD cannot say it: Django requires an AutoField subclass there, and integer keys are what it
    gives a model that declares none. Our models get their UUID from omni.models.TimeStampedModel (and their
    history from SIMPLE_HISTORY_HISTORY_ID_USE_UUID); this check fails any model that does not. Auto-created
    many-to-many tables (User.groups) are not ours to declare and keep DEFAULT_AUTO_FIELD's id."""
    errors = []
    for config in app_configs or apps.get_app_configs():
        if not is_project_app(config):
            continue
        for model in config.get_models():
            pk = model._meta.pk
            while pk.is_relation:  # a one-to-one primary key (multi-table inheritance) is its target's key
                pk = pk.target_field
            if pk.get_internal_type() != "UUIDField":
                errors.append(
                    checks.Error(
                        f"{model._meta.label} has a {pk.get_internal_type()} primary key, not a UUID.",
                        hint="Inherit omni.models.TimeStampedModel, or declare "
                        "`id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)`.",
                        obj=model,
                        id="omni.E001",
                    )
                )
    return errors
