"""Every write to the plant records: structures, pathways and cable routes, cable types, cables (with their tubes,
strands and endpoints), enclosures and trays, OLTs and PON ports, splitters, ONTs and service points.
ValidationError keyed by field (400); Conflict (409) for plant that is in use."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from omni.exceptions import Conflict
from omni.models import User
from omni.services import fields_set, writable_fields

from .. import events
from ..choices import SPLITTER_INSERTION_LOSS_DB, SPLITTER_OUTPUTS, EndpointKind, PlantStatus, StrandSide
from ..colours import colour_of
from ..models import (
    BufferTube,
    Cable,
    CableSegment,
    CableType,
    Enclosure,
    Endpoint,
    Olt,
    Ont,
    Pathway,
    PonPort,
    ServicePoint,
    SlackLoop,
    SpliceTray,
    Splitter,
    Strand,
    Structure,
)
from .capacity import cable_capacity_refresh, cables_on_paths_of
from .paths import paths_mark_dirty_for
from .protection import plant_guard

# Fields computed by the database, never validated nor set by a service.
_COMPUTED = ["number", "geo_length_m", "length_m"]

# What plant_guard is told about a record of each model, by keyword.
_GUARD_KEY = {
    Structure: "structures",
    Pathway: "pathways",
    Cable: "cables",
    Enclosure: "enclosures",
    Splitter: "splitters",
    PonPort: "pon_ports",
    Olt: "olts",
    Ont: "onts",
}


# Deleting one of these deletes cached service paths (ServicePath's foreign keys CASCADE; an OLT's PON ports go
# with it).
_OWNS_PATHS = (ServicePoint, Ont, PonPort, Olt)


def _by(by: User | None):
    return by.pk if by else None


def fields_set_new(record, fields: dict) -> None:
    """fields_set for an unsaved row: reading an unset required foreign key would raise, so only check the names."""
    unknown = set(fields) - writable_fields(type(record))
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(record, name, value)


def _clean(record) -> None:
    # By field names: touching an unsaved row's generated field would load it from the database.
    names = {field.name for field in record._meta.concrete_fields}
    record.full_clean(exclude=[name for name in _COMPUTED if name in names])


def record_create(model: type[models.Model], /, *, by: User | None = None, **fields):
    """Create any plant record that needs nothing but its own row; network.plant.changed. ValidationError keyed by
    field."""
    with transaction.atomic():
        record = model()
        fields_set_new(record, fields)
        _clean(record)
        record.save()
        events.plant_changed(record, "created", by_id=_by(by))
        paths_mark_dirty_for(record)
    return record


def record_update(model: type[models.Model], /, *, pk: UUID, by: User | None = None, **fields):
    """Change fields of a plant record (row locked); unchanged values write nothing. Retiring plant that carries a
    lit path is a Conflict (protection hook)."""
    with transaction.atomic():
        record = model.objects.select_for_update().get(pk=pk)
        return _record_update_locked(record, fields, by)


def record_delete(model: type[models.Model], /, *, pk: UUID, by: User | None = None) -> None:
    """Delete a plant record. Conflict (409) when it carries a lit path (protection hook) or other plant still
    points at it (connections on its fibres, cables in a pathway, ...)."""
    with transaction.atomic():
        record = model.objects.select_for_update().get(pk=pk)
        if model in _GUARD_KEY:
            plant_guard(**{_GUARD_KEY[model]: [record.pk]})
        events.plant_changed(record, "deleted", by_id=_by(by))
        paths_mark_dirty_for(record)
        # Its cached paths go with it (CASCADE): the cables they crossed are recounted after the delete.
        crossed = cables_on_paths_of(record.pk) if model in _OWNS_PATHS else []
        try:
            with transaction.atomic():
                record.delete()
        except ProtectedError as exc:
            kinds = sorted({type(obj)._meta.verbose_name_plural for obj in exc.protected_objects})
            msg = _("Still in use by %(what)s: remove those first.") % {"what": ", ".join(str(k) for k in kinds)}
            raise Conflict(msg) from exc
        cable_capacity_refresh(crossed)


def _after_update(record, changed: list[str]) -> None:
    """Keep each endpoint's enclosure in step with what it belongs to."""
    if isinstance(record, Cable):
        for side in StrandSide.values:
            if f"{side}_enclosure" in changed or f"{side}_enclosure_id" in changed:
                Endpoint.objects.filter(strand__cable=record, side=side).update(
                    enclosure_id=getattr(record, f"{side}_enclosure_id")
                )
    elif isinstance(record, Olt) and ({"enclosure", "enclosure_id"} & set(changed)):
        Endpoint.objects.filter(pon_port__olt=record).update(enclosure_id=record.enclosure_id)
    elif isinstance(record, Ont) and ({"enclosure", "enclosure_id"} & set(changed)):
        Endpoint.objects.filter(ont=record).update(enclosure_id=record.enclosure_id)
    elif isinstance(record, Splitter) and ({"enclosure", "enclosure_id"} & set(changed)):
        Endpoint.objects.filter(splitter=record).update(enclosure_id=record.enclosure_id)


def _check_ends(cable: Cable) -> None:
    """An end's enclosure must stand at that end's structure (the structure is taken from the enclosure if unset)."""
    for side in StrandSide.values:
        enclosure = getattr(cable, f"{side}_enclosure")
        if enclosure is None:
            continue
        structure_id = getattr(cable, f"{side}_structure_id")
        if structure_id is None:
            setattr(cable, f"{side}_structure_id", enclosure.structure_id)
        elif structure_id != enclosure.structure_id:
            raise ValidationError(
                {
                    f"{side}_enclosure": [
                        _("This enclosure is not at the cable's %(side)s structure.") % {"side": side.upper()}
                    ]
                }
            )


def cable_create(*, by: User | None = None, **fields) -> Cable:
    """Create a cable and instantiate its type: the buffer tubes, the strands (TIA-598 colours) and two endpoints
    per strand, in one transaction and a fixed number of queries whatever the fibre count (one bulk insert per
    table). ValidationError keyed by field."""
    with transaction.atomic():
        cable = Cable()
        fields_set_new(cable, fields)
        _clean(cable)
        _check_ends(cable)
        cable.save()
        cable_type: CableType = cable.cable_type
        scheme, per_tube = cable_type.colour_scheme, cable_type.fibers_per_tube
        tubes, strands, endpoints = [], [], []
        for t in range(1, cable_type.tube_count + 1):
            colour = colour_of(t, scheme)
            tube = BufferTube(
                cable=cable, position=t, colour=colour.colour, stripe=colour.stripe, stripe_count=colour.stripe_count
            )
            tubes.append(tube)
            for p in range(1, per_tube + 1):
                fibre = colour_of(p, scheme)
                strand = Strand(
                    cable=cable, tube=tube, number=(t - 1) * per_tube + p, position=p, colour=fibre.colour,
                    stripe=fibre.stripe, stripe_count=fibre.stripe_count,
                )  # fmt: skip
                strands.append(strand)
                endpoints.append(
                    Endpoint(kind=EndpointKind.STRAND, strand=strand, side="a", enclosure_id=cable.a_enclosure_id)
                )
                endpoints.append(
                    Endpoint(kind=EndpointKind.STRAND, strand=strand, side="b", enclosure_id=cable.b_enclosure_id)
                )
        # UUID primary keys are made in Python, so strands can point at tubes before either is inserted.
        BufferTube.objects.bulk_create(tubes)
        Strand.objects.bulk_create(strands)
        Endpoint.objects.bulk_create(endpoints)
        events.plant_changed(cable, "created", by_id=_by(by))
        paths_mark_dirty_for(cable)
    return cable


def cable_update(*, cable_id: UUID, by: User | None = None, **fields) -> Cable:
    """Change a cable; the type cannot change once its strands exist (400). Moving an end to another enclosure
    moves that side's strand endpoints with it."""
    with transaction.atomic():
        cable = Cable.objects.select_for_update().get(pk=cable_id)
        new_type = fields.pop("cable_type", None) or fields.pop("cable_type_id", None)
        if new_type is not None and getattr(new_type, "pk", new_type) != cable.cable_type_id:
            raise ValidationError({"cable_type": [_("A cable's type cannot change: create a new cable.")]})
        ends = {f"{s}_enclosure" for s in StrandSide.values} | {f"{s}_enclosure_id" for s in StrandSide.values}
        if ends & set(fields):
            moved = [s for s in StrandSide.values if f"{s}_enclosure" in fields or f"{s}_enclosure_id" in fields]
            if Endpoint.objects.filter(strand__cable=cable, side__in=moved, connection_end__isnull=False).exists():
                raise Conflict(
                    _("Fibres at that end are connected: remove their connections before moving the end."),
                    fields={f"{moved[0]}_enclosure": [_("Fibres at this end are connected.")]},
                )
        return _record_update_locked(cable, fields, by, check=_check_ends)


def _record_update_locked(record, fields: dict, by: User | None, *, check=None):
    changed = fields_set(record, fields)
    if not changed:
        return record
    if "status" in changed and fields["status"] == PlantStatus.RETIRED and type(record) in _GUARD_KEY:
        plant_guard(**{_GUARD_KEY[type(record)]: [record.pk]})
    _clean(record)
    if check:
        check(record)
    record.save()
    _after_update(record, changed)
    events.plant_changed(record, "updated", by_id=_by(by))
    paths_mark_dirty_for(record)
    if "status" in changed and fields["status"] == PlantStatus.RETIRED:
        events.plant_retired(record, by_id=_by(by))
    return record


@transaction.atomic
def cable_route_set(*, cable_id: UUID, pathway_ids: list[UUID], by: User | None = None) -> list[CableSegment]:
    """Replace the pathways a cable runs through, in order from its A end (the pull sheet). Consecutive pathways
    must share a structure (400 naming `pathways`)."""
    cable = Cable.objects.select_for_update().get(pk=cable_id)
    pathways = {p.pk: p for p in Pathway.objects.filter(pk__in=pathway_ids)}
    missing = [str(pk) for pk in pathway_ids if pk not in pathways]
    if missing:
        raise ValidationError({"pathways": [_("Unknown pathways: %(ids)s.") % {"ids": ", ".join(missing)}]})
    ordered = [pathways[pk] for pk in pathway_ids]
    for i, (first, second) in enumerate(zip(ordered, ordered[1:], strict=False), start=1):
        if not {first.a_structure_id, first.b_structure_id} & {second.a_structure_id, second.b_structure_id}:
            raise ValidationError(
                {"pathways": [_("Pathways %(i)d and %(j)d do not meet at a structure.") % {"i": i, "j": i + 1}]}
            )
    CableSegment.objects.filter(cable=cable).delete()
    segments = CableSegment.objects.bulk_create(
        [CableSegment(cable=cable, pathway=p, seq=i) for i, p in enumerate(ordered, start=1)]
    )
    events.plant_changed(cable, "updated", by_id=_by(by))
    paths_mark_dirty_for(cable)
    return segments


def _segment_check(segment: CableSegment) -> None:
    """One pathway per position of a route (400 naming `seq`), meeting the pathways before and after it at a
    structure (400 naming `pathway`), as cable_route_set requires of a whole route. The cable is locked."""
    taken = CableSegment.objects.filter(cable_id=segment.cable_id, seq=segment.seq).exclude(pk=segment.pk)
    if taken.exists():
        msg = _("The route already has a pathway at position %(seq)d.") % {"seq": segment.seq}
        raise ValidationError({"seq": [msg]})
    ends = {segment.pathway.a_structure_id, segment.pathway.b_structure_id}
    neighbours = (
        CableSegment.objects.filter(cable_id=segment.cable_id, seq__in=[segment.seq - 1, segment.seq + 1])
        .exclude(pk=segment.pk)
        .select_related("pathway")
        .order_by("seq")
    )
    for other in neighbours:
        if not ends & {other.pathway.a_structure_id, other.pathway.b_structure_id}:
            raise ValidationError(
                {"pathway": [_("This pathway does not meet pathway %(seq)d of the route at a structure.")
                             % {"seq": other.seq}]}
            )  # fmt: skip


def cable_segment_create(*, by: User | None = None, **fields) -> CableSegment:
    """Put one pathway in a cable's route at `seq` (omitted: after the last); it must meet its neighbours at a
    structure (400 naming `pathway`; a taken position: 400 naming `seq`). The cable's row is locked, so two adds
    never take one position. network.plant.changed for the cable."""
    with transaction.atomic():
        segment = CableSegment()
        fields_set_new(segment, fields)
        if segment.cable_id is None:
            raise ValidationError({"cable": [_("This field is required.")]})
        cable = Cable.objects.select_for_update().get(pk=segment.cable_id)
        if segment.seq is None:
            last = CableSegment.objects.filter(cable=cable).order_by("-seq").values_list("seq", flat=True).first()
            segment.seq = (last or 0) + 1
        segment.full_clean(validate_unique=False, validate_constraints=False)
        _segment_check(segment)
        segment.save()
        events.plant_changed(cable, "updated", by_id=_by(by))
        paths_mark_dirty_for(cable)
    return segment


def cable_segment_update(*, segment_id: UUID, by: User | None = None, **fields) -> CableSegment:
    """Change a route position's pathway, position or slack; its cable never changes (400 naming `cable`). The same
    checks as cable_segment_create. Unchanged values write nothing."""
    with transaction.atomic():
        cable_id = CableSegment.objects.values_list("cable_id", flat=True).get(pk=segment_id)
        cable = Cable.objects.select_for_update().get(pk=cable_id)
        segment = CableSegment.objects.select_for_update().get(pk=segment_id)
        new_cable = fields.pop("cable", None) or fields.pop("cable_id", None)
        if new_cable is not None and getattr(new_cable, "pk", new_cable) != cable_id:
            raise ValidationError({"cable": [_("A route position stays on its cable: add one to the other cable.")]})
        changed = fields_set(segment, fields)
        if not changed:
            return segment
        segment.full_clean(validate_unique=False, validate_constraints=False)
        _segment_check(segment)
        segment.save()
        events.plant_changed(cable, "updated", by_id=_by(by))
        paths_mark_dirty_for(cable)
    return segment


def slack_loop_create(*, by: User | None = None, **fields) -> SlackLoop:
    return record_create(SlackLoop, by=by, **fields)


def enclosure_create(*, by: User | None = None, trays: int = 0, tray_capacity: int = 12, **fields) -> Enclosure:
    """Create an enclosure and `trays` splice trays numbered from 1."""
    with transaction.atomic():
        enclosure = record_create(Enclosure, by=by, **fields)
        SpliceTray.objects.bulk_create(
            [SpliceTray(enclosure=enclosure, number=n, capacity=tray_capacity) for n in range(1, trays + 1)]
        )
    return enclosure


def pon_port_create(*, by: User | None = None, **fields) -> PonPort:
    """Create a PON port and its endpoint (in the OLT's frame)."""
    with transaction.atomic():
        port = record_create(PonPort, by=by, **fields)
        Endpoint.objects.create(kind=EndpointKind.PON_PORT, pon_port=port, enclosure_id=port.olt.enclosure_id)
    return port


def olt_create(*, by: User | None = None, pon_ports: int = 0, slot: int = 0, **port_fields) -> Olt:
    """Create an OLT, and `pon_ports` PON ports (1..n in `slot`, each with its endpoint) in bulk."""
    olt_fields = {
        k: port_fields.pop(k) for k in list(port_fields) if k not in ("technology", "optical_class", "max_split")
    }
    with transaction.atomic():
        olt = record_create(Olt, by=by, **olt_fields)
        ports = PonPort.objects.bulk_create(
            [PonPort(olt=olt, slot=slot, port=n, status=olt.status, **port_fields) for n in range(1, pon_ports + 1)]
        )
        Endpoint.objects.bulk_create(
            [Endpoint(kind=EndpointKind.PON_PORT, pon_port=p, enclosure_id=olt.enclosure_id) for p in ports]
        )
    return olt


def splitter_create(*, by: User | None = None, **fields) -> Splitter:
    """Create a splitter and its endpoints (inputs 1..input_count, outputs 1..output_count) in its enclosure.
    The insertion loss defaults to the typical figure for the ratio."""
    if fields.get("insertion_loss_db") is None:
        outputs = fields.get("output_count")
        if outputs not in SPLITTER_OUTPUTS:
            raise ValidationError(
                {"output_count": [_("Choose one of %(n)s.") % {"n": ", ".join(map(str, SPLITTER_OUTPUTS))}]}
            )
        fields["insertion_loss_db"] = SPLITTER_INSERTION_LOSS_DB[outputs]
    with transaction.atomic():
        splitter = record_create(Splitter, by=by, **fields)
        Endpoint.objects.bulk_create(
            [
                Endpoint(kind=EndpointKind.SPLITTER_IN, splitter=splitter, port=n, enclosure_id=splitter.enclosure_id)
                for n in range(1, splitter.input_count + 1)
            ]
            + [
                Endpoint(kind=EndpointKind.SPLITTER_OUT, splitter=splitter, port=n, enclosure_id=splitter.enclosure_id)
                for n in range(1, splitter.output_count + 1)
            ]
        )
    return splitter


def splitter_update(*, splitter_id: UUID, by: User | None = None, **fields) -> Splitter:
    """Change a splitter; its port counts are fixed once its endpoints exist (400)."""
    with transaction.atomic():
        splitter = Splitter.objects.select_for_update().get(pk=splitter_id)
        for name in ("input_count", "output_count"):
            if name in fields and fields[name] != getattr(splitter, name):
                raise ValidationError({name: [_("The ports of a splitter cannot change: create a new splitter.")]})
        return _record_update_locked(splitter, fields, by)


def ont_create(*, by: User | None = None, **fields) -> Ont:
    """Create an ONT and its PON-side endpoint (in its ONT box)."""
    with transaction.atomic():
        ont = record_create(Ont, by=by, **fields)
        Endpoint.objects.create(kind=EndpointKind.ONT_PORT, ont=ont, enclosure_id=ont.enclosure_id)
    return ont


def service_point_create(*, by: User | None = None, **fields) -> ServicePoint:
    return record_create(ServicePoint, by=by, **fields)


def splitter_loss_default(outputs: int) -> Decimal:
    return SPLITTER_INSERTION_LOSS_DB[outputs]
