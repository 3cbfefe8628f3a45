"""The admin of the field work: every model's list (searched and filtered) and change page answer 200 in a fixed
number of queries; the rows are written by the technician view's services, so the admin adds and edits none."""

import datetime
import uuid

import pytest
from django.contrib import admin as django_admin
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.workforce.field_scene import booked_job
from workforce import services
from workforce.choices import TimeEntryKind, WorkOrderStatus
from workforce.models import (
    ChecklistItem,
    CustomerSignature,
    MaterialUsed,
    SyncOperation,
    TimeEntry,
    WorkOrderNote,
    WorkOrderPhoto,
    WorkOrderStatusChange,
)

pytestmark = pytest.mark.django_db
MODELS = [
    ChecklistItem, WorkOrderNote, WorkOrderPhoto, CustomerSignature, TimeEntry, MaterialUsed, WorkOrderStatusChange,
    SyncOperation,
]  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def admin(admin_user, client_as):
    return client_as(admin_user)


@pytest.fixture
def rows():
    technician, work_order = booked_job(status=WorkOrderStatus.ON_SITE)
    services.photo_add(work_order_id=work_order.pk, upload=SimpleUploadedFile("a.png", PNG))
    services.signature_save(work_order_id=work_order.pk, image=SimpleUploadedFile("s.png", PNG), signer_name="Ada")
    start = datetime.datetime(2030, 3, 4, 9, tzinfo=datetime.UTC)
    services.time_entry_add(technician=technician, kind=TimeEntryKind.WORK, start=start, work_order_id=work_order.pk)
    services.material_add(work_order_id=work_order.pk, item="Drop cable", quantity=3, unit="m")
    operation = {"key": uuid.uuid4().hex, "op": "note", "work_order": str(work_order.pk), "body": "All good"}
    services.sync_apply(technician=technician, by=technician.user, operations=[operation])
    return technician, work_order


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_page_answers(admin, rows, model, django_assert_max_num_queries):
    model_admin = django_admin.site._registry[model]
    assert model_admin.search_fields and model_admin.list_display and model_admin.list_filter
    base = f"/admin/workforce/{model._meta.model_name}/"
    with django_assert_max_num_queries(20):
        assert admin.get(base, {"q": "a"}).status_code == 200
    assert admin.get(base).status_code == 200
    assert admin.get(f"{base}{model.objects.first().pk}/change/").status_code == 200
    assert admin.get(f"{base}add/").status_code == 403  # written by the services only
