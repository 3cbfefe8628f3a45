"""Splice plans: a closure's planned splice changes, reviewed before they touch the plant. draft -> approved ->
applied (archived from any open state). Applying is the diff of the plan against the live connections, done in
one transaction: all of it or nothing. A fibre end may be in at most one open plan per enclosure (the
enclosure row lock serialises the plans of one closure)."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.exceptions import Conflict, InvalidTransition
from omni.models import User

from .. import events
from ..choices import OPEN_PLAN_STATUSES, SPLICE_PLAN_TRANSITIONS, PlanAction, SplicePlanStatus
from ..models import Connection, Enclosure, Endpoint, SplicePlan, SplicePlanEntry, SpliceTray
from .connections import connection_check, connection_create, connection_delete


def _entries_check(plan: SplicePlan, entries: list[dict]) -> list[SplicePlanEntry]:
    """Entries of `plan` as rows; ValidationError naming `entries` for a bad one, Conflict naming the other plan
    when a fibre end is already in an open plan of this enclosure."""
    ids = {e[k].pk if hasattr(e[k], "pk") else e[k] for e in entries for k in ("a", "b")}
    endpoints = {e.pk: e for e in Endpoint.objects.select_related("enclosure").filter(pk__in=ids)}
    rows, seen = [], set()
    for i, entry in enumerate(entries, start=1):
        a = endpoints.get(getattr(entry["a"], "pk", entry["a"]))
        b = endpoints.get(getattr(entry["b"], "pk", entry["b"]))
        if a is None or b is None:
            raise ValidationError({"entries": [_("Entry %(i)d: unknown endpoint.") % {"i": i}]})
        action = entry.get("action", PlanAction.ADD)
        tray = entry.get("tray")
        if isinstance(tray, UUID | str):
            tray = SpliceTray.objects.filter(pk=tray).first()
        try:
            connection_check(
                enclosure=plan.enclosure, a=a, b=b, kind=entry.get("kind", "splice"), tray=tray,
                position=entry.get("position"),
            )  # fmt: skip
        except ValidationError as exc:
            reasons = [str(m) for messages in exc.message_dict.values() for m in messages]
            raise ValidationError(
                {"entries": [_("Entry %(i)d: %(why)s") % {"i": i, "why": " ".join(reasons)}]}
            ) from None
        for end in (a.pk, b.pk):
            if (action, end) in seen:
                raise ValidationError({"entries": [_("Entry %(i)d repeats an endpoint.") % {"i": i}]})
            seen.add((action, end))
        rows.append(
            SplicePlanEntry(
                plan=plan,
                action=action,
                kind=entry.get("kind", "splice"),
                a=a,
                b=b,
                tray=tray,
                position=entry.get("position"),
            )  # fmt: skip
        )
    others = (
        SplicePlanEntry.objects.filter(plan__enclosure=plan.enclosure, plan__status__in=OPEN_PLAN_STATUSES)
        .exclude(plan=plan)
        .filter(Q(a__in=ids) | Q(b__in=ids))
        .select_related("plan")
        .first()
    )
    if others is not None:
        msg = _("A fibre end of this plan is already in the open plan %(plan)s.") % {"plan": others.plan}
        raise Conflict(msg, fields={"entries": [msg]})
    return rows


def splice_plan_create(
    *, enclosure: Enclosure, name: str, entries: list[dict] = (), notes: str = "", by: User | None = None
) -> SplicePlan:
    """Create a draft plan with its entries. Locks the enclosure: two plans claiming one fibre cannot both pass."""
    with transaction.atomic():
        enclosure = Enclosure.objects.select_for_update().get(pk=enclosure.pk)
        plan = SplicePlan(enclosure=enclosure, name=name, notes=notes, created_by=by)
        plan.full_clean(exclude=["number"])
        rows = _entries_check(plan, list(entries))
        plan.save()
        SplicePlanEntry.objects.bulk_create(rows)
        events.plant_changed(plan, "created", by_id=by.pk if by else None)
    return plan


def splice_plan_update(
    *, plan_id: UUID, by: User | None = None, entries: list[dict] | None = None, **fields
) -> SplicePlan:
    """Change a plan's name or notes, or a draft plan's entries (replaced as a whole); 409 for the entries of an
    approved plan and for anything of an applied or archived one."""
    with transaction.atomic():
        plan = SplicePlan.objects.select_related("enclosure").get(pk=plan_id)
        Enclosure.objects.select_for_update().get(pk=plan.enclosure_id)
        plan = SplicePlan.objects.select_for_update().get(pk=plan_id)
        if "enclosure" in fields and fields.pop("enclosure") != plan.enclosure:
            raise ValidationError({"enclosure": [_("A plan stays with its enclosure.")]})
        if plan.status in (SplicePlanStatus.APPLIED, SplicePlanStatus.ARCHIVED):
            raise InvalidTransition(_("An applied or archived plan does not change."))
        if entries is not None and plan.status != SplicePlanStatus.DRAFT:
            msg = _("Only a draft plan's entries can change; send it back to draft first.")
            raise InvalidTransition(msg, fields={"entries": [msg]})
        for name in ("name", "notes"):
            if name in fields:
                setattr(plan, name, fields[name])
        plan.full_clean(exclude=["number"])
        plan.save()
        if entries is not None:
            rows = _entries_check(plan, list(entries))
            plan.entries.all().delete()
            SplicePlanEntry.objects.bulk_create(rows)
        events.plant_changed(plan, "updated", by_id=by.pk if by else None)
    return plan


def splice_plan_transition(*, plan_id: UUID, to: str, by: User | None = None) -> SplicePlan:
    """Approve, send back to draft or archive a plan (applying is splice_plan_apply). Repeats are no-ops."""
    if to not in SplicePlanStatus.values or to == SplicePlanStatus.APPLIED:
        raise ValidationError({"status": [_("Choose approved, draft or archived; apply a plan with apply.")]})
    with transaction.atomic():
        plan = SplicePlan.objects.select_for_update().get(pk=plan_id)
        if plan.status == to:
            return plan
        if to not in SPLICE_PLAN_TRANSITIONS[plan.status]:
            msg = _("A %(old)s plan cannot become %(new)s.") % {"old": plan.status, "new": to}
            raise InvalidTransition(msg, fields={"status": [msg]})
        plan.status = to
        if to == SplicePlanStatus.APPROVED:
            plan.approved_by, plan.approved_at = by, timezone.now()
        plan.save()
        events.plant_changed(plan, "updated", by_id=by.pk if by else None)
    return plan


def splice_plan_apply(*, plan_id: UUID, by: User | None = None) -> SplicePlan:
    """Apply an approved plan: remove the connections of its `remove` entries, then make its `add` entries, in one
    transaction (any refusal leaves the plant as it was). Conflict when the plan is not approved, a connection to
    remove is gone, or a fibre end to join is taken."""
    with transaction.atomic():
        plan = SplicePlan.objects.select_for_update().get(pk=plan_id)
        if plan.status != SplicePlanStatus.APPROVED:
            msg = _("Only an approved plan can be applied.")
            raise InvalidTransition(msg, fields={"status": [msg]})
        entries = list(plan.entries.order_by("created_at", "pk"))
        for entry in entries:
            if entry.action != PlanAction.REMOVE:
                continue
            live = Connection.objects.filter(
                Q(a=entry.a_id, b=entry.b_id) | Q(a=entry.b_id, b=entry.a_id), enclosure=plan.enclosure_id
            ).first()
            if live is None:
                msg = _("A connection this plan removes no longer exists.")
                raise Conflict(msg, fields={"entries": [msg]})
            connection_delete(connection_id=live.pk, by=by)
        for entry in entries:
            if entry.action == PlanAction.ADD:
                connection_create(
                    enclosure_id=plan.enclosure_id, a_id=entry.a_id, b_id=entry.b_id, kind=entry.kind,
                    tray_id=entry.tray_id, position=entry.position, splice_plan_id=plan.pk, by=by,
                )  # fmt: skip
        plan.status, plan.applied_by, plan.applied_at = SplicePlanStatus.APPLIED, by, timezone.now()
        plan.save()
        events.plant_changed(plan, "updated", by_id=by.pk if by else None)
    return plan


def splice_plan_delete(*, plan_id: UUID, by: User | None = None) -> None:
    """Delete a plan that was never applied (an applied plan is the record of a change: 409)."""
    with transaction.atomic():
        plan = SplicePlan.objects.select_for_update().get(pk=plan_id)
        if plan.status == SplicePlanStatus.APPLIED:
            raise Conflict(_("An applied plan is kept as the record of the change; archive it instead."))
        events.plant_changed(plan, "deleted", by_id=by.pk if by else None)
        plan.delete()
