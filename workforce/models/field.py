"""The field work on a work order (issue 14 item 2): its checklist, notes, photos, the customer's signature, time
entries, materials used, its status history, and the idempotency keys of the technician view's offline sync.
Written only through workforce.services.field; files are stored through Django's storage under random names and
served only by views that check who may see the work order."""

import uuid

from django.conf import settings
from django.contrib.gis.db import models as gis
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel

from ..choices import SyncOutcome, TimeEntryKind, WorkOrderStatus

USER = settings.AUTH_USER_MODEL


def field_file_path(instance, filename: str) -> str:
    """Under the work order's id with a random name (the original is kept in `name`): a path says nothing about the
    customer and one upload never overwrites another."""
    return f"workforce/{instance.work_order_id}/{uuid.uuid4().hex}"


class ChecklistItem(TimeStampedModel):
    """One line of a work order's checklist, copied from its work type's checklist_template."""

    work_order = models.ForeignKey("workforce.WorkOrder", models.CASCADE, related_name="checklist")
    position = models.PositiveSmallIntegerField(_("position"))
    label = models.CharField(_("label"), max_length=200)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(USER, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["work_order", "position"]
        constraints = [
            # copying the template twice at once (two first opens) inserts each position once
            models.UniqueConstraint(fields=["work_order", "position"], name="workforce_checklist_position_unique"),
            models.CheckConstraint(
                condition=Q(done=False, done_at__isnull=True) | Q(done=True, done_at__isnull=False),
                name="workforce_checklist_done_at",
            ),
        ]

    def __str__(self):
        return f"{self.position}. {self.label}"


class WorkOrderNote(TimeStampedModel):
    work_order = models.ForeignKey("workforce.WorkOrder", models.CASCADE, related_name="notes")
    author = models.ForeignKey(USER, models.SET_NULL, null=True, blank=True, related_name="+")
    body = models.TextField(_("note"))

    class Meta:
        ordering = ["work_order", "created_at"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="workforce_note_not_empty")]

    def __str__(self):
        return self.body[:40]


class WorkOrderPhoto(TimeStampedModel):
    """A photo taken on the job, with where (the browser's geolocation, when given) and when it was taken."""

    work_order = models.ForeignKey("workforce.WorkOrder", models.CASCADE, related_name="photos")
    file = models.FileField(_("file"), upload_to=field_file_path, max_length=200)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    point = gis.PointField(_("where"), srid=4326, null=True, blank=True)
    taken_at = models.DateTimeField(_("taken at"))
    uploaded_by = models.ForeignKey(USER, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["work_order", "taken_at"]

    def __str__(self):
        return self.name


class CustomerSignature(TimeStampedModel):
    """The customer's signature on a work order (one; signing again replaces it)."""

    work_order = models.OneToOneField("workforce.WorkOrder", models.CASCADE, related_name="signature")
    image = models.FileField(_("image"), upload_to=field_file_path, max_length=200)
    signer_name = models.CharField(_("signer name"), max_length=200)
    signed_at = models.DateTimeField(_("signed at"))
    captured_by = models.ForeignKey(USER, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(signer_name=""), name="workforce_signature_signer")]

    def __str__(self):
        return self.signer_name


TIME_ENTRY_NO_OVERLAP = "workforce_timeentry_no_overlap"


class TimeEntry(TimeStampedModel):
    """Time a technician spent travelling, working or on a break. `during` is [start, end); an open end is a
    running entry, so nothing can start after it until it is stopped. One technician's entries never overlap."""

    technician = models.ForeignKey("workforce.Technician", models.PROTECT, related_name="time_entries")
    work_order = models.ForeignKey(
        "workforce.WorkOrder", models.CASCADE, null=True, blank=True, related_name="time_entries"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=TimeEntryKind)
    during = DateTimeRangeField(_("during"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["technician", "during"]
        verbose_name_plural = _("time entries")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TimeEntryKind.values), name="workforce_timeentry_kind_valid"),
            ExclusionConstraint(  # btree_gist (migration 0002)
                name=TIME_ENTRY_NO_OVERLAP,
                expressions=[("technician", RangeOperators.EQUAL), ("during", RangeOperators.OVERLAPS)],
                violation_error_message=_("This overlaps another time entry of the technician."),
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.during}"

    @property
    def start(self):
        return self.during.lower if self.during else None

    @property
    def end(self):
        return self.during.upper if self.during else None


class MaterialUsed(TimeStampedModel):
    """Material used on the job: free text for now (inventory's items and van stock come later)."""

    work_order = models.ForeignKey("workforce.WorkOrder", models.CASCADE, related_name="materials")
    item = models.CharField(_("item"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=20, default="pcs")
    recorded_by = models.ForeignKey(USER, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["work_order", "created_at"]
        verbose_name_plural = _("materials used")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="workforce_material_quantity_positive"),
            models.CheckConstraint(condition=~Q(item=""), name="workforce_material_item"),
        ]

    def __str__(self):
        return f"{self.quantity} {self.unit} {self.item}"


class WorkOrderStatusChange(models.Model):
    """A work order's status history: one row per transition (services.work_order_transition), with the reason
    given (cannot complete)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    work_order = models.ForeignKey("workforce.WorkOrder", models.CASCADE, related_name="status_changes")
    old = models.CharField(_("from"), max_length=20, choices=WorkOrderStatus)
    new = models.CharField(_("to"), max_length=20, choices=WorkOrderStatus)
    by = models.ForeignKey(USER, models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["work_order", "at"]
        indexes = [models.Index(fields=["work_order", "at"], name="workforce_wo_status_change_at")]

    def __str__(self):
        return f"{self.old} → {self.new}"


class SyncOperation(models.Model):
    """One operation of the technician view's sync, by its client-made idempotency key: the first arrival applies
    it and stores the answer; a replay (same technician, same key) gets the stored answer and changes nothing. Two
    replays at once: the unique constraint makes the second wait for the first and then read its answer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    technician = models.ForeignKey("workforce.Technician", models.CASCADE, related_name="sync_operations")
    key = models.CharField(_("idempotency key"), max_length=100)
    op = models.CharField(_("operation"), max_length=30)
    digest = models.CharField(_("payload digest"), max_length=64)  # a key reused for another payload is refused
    work_order = models.ForeignKey(
        "workforce.WorkOrder", models.SET_NULL, null=True, blank=True, related_name="sync_operations"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=SyncOutcome)
    result = models.JSONField(_("result"), default=dict)
    created_at = models.DateTimeField(_("applied at"), db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["technician", "key"], name="workforce_syncop_key_unique"),
            models.CheckConstraint(condition=Q(outcome__in=SyncOutcome.values), name="workforce_syncop_outcome_valid"),
        ]

    def __str__(self):
        return f"{self.op} {self.key}"
