"""A work order's checklist from its work type's template: copied when the work order is created, or when it is
first opened in the technician view (a work order made before its work type had a template)."""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from ..models import ChecklistItem, WorkOrder


def checklist_labels(template) -> list[str]:
    """The labels of a checklist_template: a list of strings or of {"label": ...} objects; blanks are skipped."""
    labels = []
    for entry in template or ():
        label = entry.get("label", "") if isinstance(entry, dict) else entry
        label = str(label or "").strip()[:200]
        if label:
            labels.append(label)
    return labels


def checklist_copy(*, work_order_id) -> int:
    """Copy the work type's template to a work order that has no checklist yet; returns the items written.
    Idempotent: run twice (or twice at once) it writes each position once (the unique position decides)."""
    return checklists_copy(work_order_ids=[work_order_id])


def checklists_copy(*, work_order_ids: Iterable) -> int:
    """checklist_copy for many work orders: two queries whatever their number."""
    pending = (
        WorkOrder.objects.filter(pk__in=list(work_order_ids))
        .exclude(work_type__checklist_template=[])
        .filter(~Exists(ChecklistItem.objects.filter(work_order=OuterRef("pk"))))
        .values_list("pk", "work_type__checklist_template")
    )
    rows = [
        ChecklistItem(work_order_id=pk, position=position, label=label)
        for pk, template in pending
        for position, label in enumerate(checklist_labels(template), start=1)
    ]
    ChecklistItem.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
