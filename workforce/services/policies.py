"""Scheduling policies: which one applies, and writes from the admin."""

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from omni.services import fields_set

from ..models import SchedulingPolicy, ServiceTerritory
from .travel import territory_at

DEFAULT_POLICY_NAME = "Default"


def policy_for(territory: ServiceTerritory | None) -> SchedulingPolicy:
    """The territory's default policy, else the default with no territory (one query); that one is created when
    missing."""
    scope = Q(territory__isnull=True) | Q(territory=territory) if territory is not None else Q(territory__isnull=True)
    policy = (
        SchedulingPolicy.objects.filter(scope, is_default=True).order_by(F("territory").asc(nulls_last=True)).first()
    )
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            return SchedulingPolicy.objects.create(name=_(DEFAULT_POLICY_NAME), is_default=True)
    except IntegrityError:  # a racing first caller made it
        return SchedulingPolicy.objects.get(territory__isnull=True, is_default=True)


def policy_at(point) -> SchedulingPolicy:
    """The policy that applies at a point: the default of the smallest territory covering it (policy_for)."""
    return policy_for(territory_at(point))


@transaction.atomic
def policy_create(**fields) -> SchedulingPolicy:
    """A policy; a second default for the same territory (or a second global default) is a 400 on the form."""
    policy = SchedulingPolicy(**fields)
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def policy_update(*, policy_id, **fields) -> SchedulingPolicy:
    policy = SchedulingPolicy.objects.select_for_update().get(pk=policy_id)
    fields_set(policy, fields)
    policy.full_clean()
    policy.save()
    return policy
