"""The field work's services (issue 14 item 2): the checklist is copied from the work type, time entries of one
technician never overlap (the database decides), photos are checked like ticket attachments, and completing needs
what the transition needs (on site, every checklist item ticked, the completion notes). En route tells the
account's contacts once, with the ETA."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from notifications.models import Delivery
from omni.exceptions import Conflict, InvalidTransition
from tests.crm.factories import ContactFactory, link
from tests.workforce.factories import TechnicianFactory, WorkOrderFactory, WorkTypeFactory
from tests.workforce.field_scene import booked_job
from workforce import services
from workforce.choices import AppointmentStatus, TimeEntryKind, WorkOrderStatus
from workforce.events import EN_ROUTE
from workforce.models import ChecklistItem, TimeEntry, WorkOrderPhoto, WorkOrderStatusChange

pytestmark = pytest.mark.django_db
S = WorkOrderStatus
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def at(hour, minute=0):
    return datetime.datetime(2030, 3, 4, hour, minute, tzinfo=datetime.UTC)


def test_the_checklist_is_copied_from_the_work_type_once():
    _technician, work_order = booked_job(checklist=("Check the signal", {"label": "Label the drop"}, "  "))
    items = list(ChecklistItem.objects.filter(work_order=work_order).values_list("position", "label", "done"))
    assert items == [(1, "Check the signal", False), (2, "Label the drop", False)]
    assert services.checklist_copy(work_order_id=work_order.pk) == 0  # opened again: nothing copied twice
    assert ChecklistItem.objects.filter(work_order=work_order).count() == 2


def test_a_work_order_made_before_its_template_gets_it_when_first_opened():
    work_type = WorkTypeFactory()
    work_order = WorkOrderFactory(work_type=work_type)
    work_type.checklist_template = ["Splice", "Test"]
    work_type.save()
    assert services.checklists_copy(work_order_ids=[work_order.pk]) == 2
    assert services.checklists_copy(work_order_ids=[work_order.pk]) == 0


def test_overlapping_time_entries_of_one_technician_are_refused_back_to_back_is_fine():
    technician, other = TechnicianFactory(), TechnicianFactory()
    services.time_entry_add(technician=technician, kind=TimeEntryKind.TRAVEL, start=at(9), end=at(10))
    services.time_entry_add(technician=technician, kind=TimeEntryKind.WORK, start=at(10), end=at(11))
    with pytest.raises(Conflict) as exc:
        services.time_entry_add(technician=technician, kind=TimeEntryKind.BREAK, start=at(10, 30), end=at(12))
    assert "start" in exc.value.fields
    services.time_entry_add(technician=other, kind=TimeEntryKind.WORK, start=at(10, 30), end=at(12))  # another
    # a running entry (no end) blocks anything after its start
    services.time_entry_add(technician=technician, kind=TimeEntryKind.WORK, start=at(13))
    with pytest.raises(Conflict):
        services.time_entry_add(technician=technician, kind=TimeEntryKind.WORK, start=at(18), end=at(19))
    assert TimeEntry.objects.filter(technician=technician).count() == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "nap", "start": at(9)}, "kind"),
        ({"kind": "work", "start": at(9), "end": at(8)}, "end"),
        ({"kind": "work", "start": "yesterday"}, "start"),
        ({"kind": "work", "start": datetime.datetime(2030, 3, 4, 9)}, "start"),  # no offset
    ],
)
def test_bad_time_entries_are_400_naming_the_field(fields, field):
    with pytest.raises(ValidationError) as exc:
        services.time_entry_add(technician=TechnicianFactory(), **fields)
    assert field in exc.value.message_dict


def test_photo_limits_size_type_and_signature(settings):
    _technician, work_order = booked_job(status=S.ON_SITE)
    settings.WORKFORCE_PHOTO_MAX_BYTES = 100
    cases = [
        (SimpleUploadedFile("big.png", PNG + b"\x00" * 100), "the limit is"),
        (SimpleUploadedFile("notes.pdf", b"%PDF-1.4"), "not accepted"),
        (SimpleUploadedFile("fake.jpg", b"MZ\x90\x00 an executable"), "not a real .jpg"),
    ]
    for upload, reason in cases:
        with pytest.raises(ValidationError) as exc:
            services.photo_add(work_order_id=work_order.pk, upload=upload)
        assert reason in exc.value.message_dict["photo"][0]
    assert not WorkOrderPhoto.objects.exists()
    photo = services.photo_add(
        work_order_id=work_order.pk, upload=SimpleUploadedFile("pole.png", PNG), taken_at="2030-03-04T10:00:00+01:00"
    )
    assert photo.file.read() == PNG and photo.content_type == "image/png" and photo.size == len(PNG)
    assert photo.file.name.startswith(f"workforce/{work_order.pk}/") and "pole" not in photo.file.name


def test_a_signature_is_a_png_with_a_name_and_signing_again_replaces_it():
    _technician, work_order = booked_job(status=S.ON_SITE)
    with pytest.raises(ValidationError) as exc:
        services.signature_save(work_order_id=work_order.pk, image=SimpleUploadedFile("s.png", PNG), signer_name="")
    assert "signer_name" in exc.value.message_dict
    first = services.signature_save(
        work_order_id=work_order.pk, image=SimpleUploadedFile("s.png", PNG), signer_name="Ada Obi"
    )
    old = first.image.name
    second = services.signature_save(
        work_order_id=work_order.pk, image=SimpleUploadedFile("s.png", PNG), signer_name="Ada O."
    )
    assert second.pk == first.pk and second.signer_name == "Ada O." and second.image.name != old


def test_completing_needs_on_site_the_checklist_and_notes():
    technician, work_order = booked_job(status=S.EN_ROUTE)
    with pytest.raises(InvalidTransition) as exc:  # the status machine first: en route cannot complete
        services.field_status_set(work_order_id=work_order.pk, to=S.COMPLETED, completion_notes="Done")
    assert "en_route" in exc.value.message and "completed" in exc.value.message
    services.field_status_set(work_order_id=work_order.pk, to=S.ON_SITE, technician=technician)
    with pytest.raises(ValidationError) as exc:
        services.field_status_set(work_order_id=work_order.pk, to=S.COMPLETED, completion_notes="")
    assert "completion_notes" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.field_status_set(work_order_id=work_order.pk, to=S.COMPLETED, completion_notes="Spliced")
    assert "checklist" in exc.value.message_dict
    # the API's path (work_order_transition) holds the checklist rule too
    with pytest.raises(ValidationError):
        services.work_order_transition(work_order_id=work_order.pk, to=S.COMPLETED)
    for item in ChecklistItem.objects.filter(work_order=work_order):
        services.checklist_tick(item_id=item.pk, done=True, by=technician.user)
    services.field_status_set(
        work_order_id=work_order.pk, to=S.COMPLETED, completion_notes="Spliced", by=technician.user
    )
    work_order.refresh_from_db()
    assert (work_order.status, work_order.completion_notes) == (S.COMPLETED, "Spliced")
    assert work_order.appointments.get().status == AppointmentStatus.DONE
    assert WorkOrderStatusChange.objects.filter(work_order=work_order, new=S.COMPLETED).count() == 1
    # a closed job's checklist and materials are closed too (409)
    with pytest.raises(Conflict):
        services.checklist_tick(item_id=ChecklistItem.objects.filter(work_order=work_order).first().pk, done=False)
    with pytest.raises(Conflict):
        services.material_add(work_order_id=work_order.pk, item="Drop cable", quantity=1)


def test_cannot_complete_needs_a_reason_kept_in_the_history():
    _technician, work_order = booked_job(status=S.ON_SITE)
    with pytest.raises(ValidationError) as exc:
        services.field_status_set(work_order_id=work_order.pk, to=S.CANNOT_COMPLETE, reason=" ")
    assert "reason" in exc.value.message_dict
    services.field_status_set(work_order_id=work_order.pk, to=S.CANNOT_COMPLETE, reason="Customer not home")
    change = WorkOrderStatusChange.objects.get(work_order=work_order, new=S.CANNOT_COMPLETE)
    assert (change.old, change.note) == (S.ON_SITE, "Customer not home")


def test_en_route_sets_the_eta_and_tells_the_contacts_once(django_capture_on_commit_callbacks):
    technician, work_order = booked_job(status=S.DISPATCHED)
    with pytest.raises(ValidationError) as exc:
        services.field_status_set(work_order_id=work_order.pk, to=S.EN_ROUTE, eta_minutes="soon")
    assert "eta_minutes" in exc.value.message_dict
    contact = ContactFactory(email="ada@example.com")
    link(contact, work_order.account)
    before = timezone.now()
    with django_capture_on_commit_callbacks():
        services.field_status_set(work_order_id=work_order.pk, to=S.EN_ROUTE, technician=technician, eta_minutes=25)
        services.field_status_set(work_order_id=work_order.pk, to=S.EN_ROUTE, technician=technician, eta_minutes=5)
    appointment = work_order.appointments.get()
    assert appointment.status == AppointmentStatus.EN_ROUTE
    assert before + datetime.timedelta(minutes=25) <= appointment.eta <= timezone.now() + datetime.timedelta(minutes=25)
    deliveries = Delivery.objects.filter(event=EN_ROUTE)
    assert sorted(deliveries.values_list("channel", flat=True)) == ["email", "sms"]  # once: the repeat is a no-op
    email = deliveries.get(channel="email")
    assert email.address == "ada@example.com" and email.payload["number"] == work_order.number


def test_materials_and_notes_need_their_fields():
    _technician, work_order = booked_job(status=S.ON_SITE)
    with pytest.raises(ValidationError) as exc:
        services.material_add(work_order_id=work_order.pk, item="Drop cable", quantity="-2")
    assert "quantity" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.material_add(work_order_id=work_order.pk, item=" ", quantity=2)
    assert "item" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.note_add(work_order_id=work_order.pk, body="  ")
    assert "body" in exc.value.message_dict
    material = services.material_add(work_order_id=work_order.pk, item="Drop cable", quantity="12.5", unit="m")
    assert (str(material.quantity), material.unit) == ("12.500", "m")
