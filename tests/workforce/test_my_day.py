"""The technician view /my-day/ (issue 14 item 8): who reaches it (a technician 200; another technician's job
404; staff without a technician record a 403 page saying why; portal users never), what the day shows (the route
in order with windows, addresses and navigate links, in a fixed number of queries), the sync (each idempotency key
applied once, also when two connections replay it at once; a refused transition says why; bad input names the
field), photos and signature uploads, and the installable app's manifest and service worker."""

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.omni.factories import StaffFactory
from tests.tickets.test_ticket_concurrency import run_together
from tests.workforce.factories import ShiftFactory, TechnicianFactory
from tests.workforce.field_scene import booked_job
from workforce import services
from workforce.choices import WorkOrderStatus
from workforce.models import (
    ChecklistItem,
    SyncOperation,
    WorkOrder,
    WorkOrderNote,
    WorkOrderPhoto,
    WorkOrderStatusChange,
)

S = WorkOrderStatus
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def sync(client, *operations):
    return client.post("/my-day/sync/", json.dumps({"operations": list(operations)}), content_type="application/json")


def key():
    return uuid.uuid4().hex


@pytest.fixture
def job(db):
    return booked_job(status=S.ON_SITE)


@pytest.mark.django_db
@pytest.mark.parametrize("jobs", [1, 6])
def test_a_technician_sees_their_route_in_order_in_fixed_queries(client_as, jobs, django_assert_max_num_queries):
    technician = TechnicianFactory()
    orders = [booked_job(technician, hour=8 + n)[1] for n in range(jobs)]
    _other_technician, elsewhere = booked_job()
    client = client_as(technician.user)
    client.get("/my-day/")  # first open: the checklists are already there (copied at creation)
    with django_assert_max_num_queries(12):  # session, user, technician, the day (7), checklist copy check
        response = client.get("/my-day/")
    assert response.status_code == 200
    page = response.content.decode()
    positions = [page.index(order.number) for order in orders]
    assert positions == sorted(positions)  # in route order
    assert elsewhere.number not in page
    first = orders[0]
    lat, lng = f"{first.location.y:.6f}", f"{first.location.x:.6f}"
    assert f"https://www.google.com/maps/dir/?api=1&amp;destination={lat},{lng}" in page
    assert f"geo:{lat},{lng}" in page
    assert "12 Marina Road" in page and "Check the signal" in page
    assert 'rel="manifest"' in page


@pytest.mark.django_db
def test_another_technicians_job_is_404_everywhere(client_as, job):
    _owner, work_order = job
    stranger = client_as(TechnicianFactory().user)
    assert stranger.get(f"/my-day/jobs/{work_order.pk}/").status_code == 404
    upload = SimpleUploadedFile("pole.png", PNG)
    assert stranger.post(f"/my-day/jobs/{work_order.pk}/photos/", {"photo": upload}).status_code == 404
    item = ChecklistItem.objects.filter(work_order=work_order).first()
    results = sync(
        stranger,
        {"key": key(), "op": "status", "work_order": str(work_order.pk), "to": "cannot_complete", "reason": "x"},
        {"key": key(), "op": "checklist", "item": str(item.pk), "done": True},
    ).json()["results"]
    assert [r["outcome"] for r in results] == ["not_found", "not_found"]
    assert [r["status"] for r in results] == [404, 404]
    work_order.refresh_from_db()
    item.refresh_from_db()
    assert work_order.status == S.ON_SITE and not item.done
    # the owner opens it
    owner_page = client_as(_owner.user).get(f"/my-day/jobs/{work_order.pk}/")
    assert owner_page.status_code == 200 and work_order.number in owner_page.content.decode()


@pytest.mark.django_db
def test_a_job_moved_from_another_technician_is_the_new_ones(client_as):
    first, work_order = booked_job()
    appointment = work_order.appointments.get()
    services.appointment_cancel(appointment_id=appointment.pk)
    second = TechnicianFactory()
    ShiftFactory(technician=second, during=appointment.scheduled)
    services.appointment_book(work_order_id=work_order.pk, technician=second, start=appointment.scheduled.lower)
    assert client_as(second.user).get(f"/my-day/jobs/{work_order.pk}/").status_code == 200
    assert client_as(first.user).get(f"/my-day/jobs/{work_order.pk}/").status_code == 404
    assert work_order.number in client_as(second.user).get("/my-day/").content.decode()
    assert work_order.number not in client_as(first.user).get("/my-day/").content.decode()


@pytest.mark.django_db
def test_staff_without_a_technician_record_get_a_403_page_saying_why(client_as):
    dispatcher = StaffFactory(roles=["Dispatcher"])
    response = client_as(dispatcher).get("/my-day/")
    assert response.status_code == 403
    assert "no technician record" in response.content.decode()
    answer = sync(client_as(dispatcher), {"key": key(), "op": "note"})
    assert answer.status_code == 403 and answer.json()["code"] == "permission_denied"
    inactive = TechnicianFactory(active=False)
    assert client_as(inactive.user).get("/my-day/").status_code == 403


@pytest.mark.django_db
def test_portal_users_and_anonymous_visitors_never_reach_it(client, client_as, customer, vendor, reseller):
    assert client_as(customer, host="portal.localhost").get("/my-day/").status_code == 404  # not routed there
    assert client_as(vendor, host="vendor.localhost").get("/my-day/").status_code == 404
    assert client_as(reseller, host="reseller.localhost").get("/my-day/").status_code == 404
    for user in (customer, vendor):  # a portal user's session on the staff host
        assert client_as(user).get("/my-day/").status_code == 403
        assert sync(client_as(user), {"key": key(), "op": "note"}).status_code == 403
    response = client.get("/my-day/", HTTP_HOST="localhost")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_the_same_key_twice_is_one_change_and_the_stored_answer(client_as, job):
    technician, work_order = job
    client = client_as(technician.user)
    items = list(ChecklistItem.objects.filter(work_order=work_order))
    operations = [
        *({"key": key(), "op": "checklist", "item": str(item.pk), "done": True} for item in items),
        {"key": key(), "op": "note", "work_order": str(work_order.pk), "body": "Pole was wet"},
        {
            "key": key(),
            "op": "material",
            "work_order": str(work_order.pk),
            "item": "Drop",
            "quantity": "20",
            "unit": "m",
        },
        {"key": key(), "op": "status", "work_order": str(work_order.pk), "to": "completed", "completion_notes": "Ok"},
    ]
    first = sync(client, *operations).json()["results"]
    assert [r["outcome"] for r in first] == ["applied"] * len(operations)
    assert first[-1]["work_order_status"] == S.COMPLETED
    again = sync(client, *operations).json()["results"]  # the answers were lost: the queue sends it all again
    assert [r["replayed"] for r in again] == [True] * len(operations)
    assert [r["outcome"] for r in again] == ["applied"] * len(operations)
    assert WorkOrderNote.objects.filter(work_order=work_order).count() == 1
    assert work_order.materials.count() == 1
    assert WorkOrderStatusChange.objects.filter(work_order=work_order, new=S.COMPLETED).count() == 1
    assert SyncOperation.objects.filter(technician=technician).count() == len(operations)
    # a key reused for another payload is refused, not answered with the first one's result
    reused = dict(operations[2], body="Something else")
    answer = sync(client, reused).json()["results"][0]
    assert (answer["outcome"], answer["status"]) == ("refused", 409) and "key" in answer["fields"]


@pytest.mark.django_db
def test_a_refused_transition_says_why_and_bad_input_names_the_field(client_as):
    technician, work_order = booked_job(status=S.SCHEDULED)
    client = client_as(technician.user)
    results = sync(
        client,
        {"key": key(), "op": "status", "work_order": str(work_order.pk), "to": "on_site"},
        {"key": key(), "op": "status", "work_order": str(work_order.pk), "to": "cancelled"},
        {"key": key(), "op": "time_entry", "kind": "work", "start": "2030-03-04T10:00:00+01:00", "end": "nope"},
        {"key": key(), "op": "dance"},
        {"key": "short", "op": "note"},
        {"key": key(), "op": "note", "work_order": "not-a-uuid", "body": "x"},
    ).json()["results"]
    refused = results[0]
    assert (refused["outcome"], refused["status"]) == ("refused", 409)
    assert "scheduled" in refused["detail"] and "on_site" in refused["detail"]
    assert refused["work_order_status"] == S.SCHEDULED  # the page puts back the status the job really has
    assert "to" in results[1]["fields"]
    assert "end" in results[2]["fields"]
    assert "op" in results[3]["fields"]
    assert "key" in results[4]["fields"]
    assert "work_order" in results[5]["fields"]
    assert WorkOrder.objects.get(pk=work_order.pk).status == S.SCHEDULED
    for body in (b"not json", b"[]", json.dumps({"operations": []}).encode()):
        response = client.post("/my-day/sync/", body, content_type="application/json")
        assert response.status_code == 400 and "operations" in response.json()["fields"]
    too_many = [{"key": key(), "op": "note"} for _ in range(101)]
    assert sync(client, *too_many).status_code == 400
    assert client.get("/my-day/sync/").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_two_connections_replaying_one_key_apply_it_once():
    for _round in range(3):
        technician, work_order = booked_job(status=S.ON_SITE)
        operation = {"key": key(), "op": "note", "work_order": str(work_order.pk), "body": "Racing note"}
        answers = []

        def replay(technician=technician, operation=operation, answers=answers):
            answers.append(services.sync_apply(technician=technician, by=technician.user, operations=[operation])[0])

        assert run_together(replay, replay) == ["ok", "ok"]
        assert WorkOrderNote.objects.filter(work_order=work_order).count() == 1
        assert sorted(answer["replayed"] for answer in answers) == [False, True]
        assert {answer["note"] for answer in answers} == {str(WorkOrderNote.objects.get(work_order=work_order).pk)}


@pytest.mark.django_db
def test_photos_and_the_signature_upload_and_photos_show_to_their_technician_only(client_as, job):
    technician, work_order = job
    client = client_as(technician.user)
    response = client.post(
        f"/my-day/jobs/{work_order.pk}/photos/",
        {"photo": SimpleUploadedFile("pole.png", PNG), "lat": "6.5244", "lng": "3.3792", "taken_at": ""},
    )
    assert response.status_code == 201
    photo = WorkOrderPhoto.objects.get(work_order=work_order)
    assert (round(photo.point.y, 4), round(photo.point.x, 4)) == (6.5244, 3.3792)
    shown = client.get(response.json()["url"])
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert client_as(TechnicianFactory().user).get(response.json()["url"]).status_code == 404
    bad = client.post(f"/my-day/jobs/{work_order.pk}/photos/", {"photo": SimpleUploadedFile("x.svg", b"<svg/>")})
    assert bad.status_code == 400 and "photo" in bad.json()["fields"]
    far = client.post(
        f"/my-day/jobs/{work_order.pk}/photos/", {"photo": SimpleUploadedFile("p.png", PNG), "lat": "95", "lng": "0"}
    )
    assert far.status_code == 400 and "lat" in far.json()["fields"]
    assert client.post(f"/my-day/jobs/{work_order.pk}/photos/", {}).json()["fields"] == {"photo": ["Choose a photo."]}
    signed = client.post(
        f"/my-day/jobs/{work_order.pk}/signature/",
        {"signature": SimpleUploadedFile("signature.png", PNG), "signer_name": "Ada Obi"},
    )
    assert signed.status_code == 201 and work_order.signature.signer_name == "Ada Obi"
    nameless = client.post(f"/my-day/jobs/{work_order.pk}/signature/", {"signature": SimpleUploadedFile("s.png", PNG)})
    assert nameless.status_code == 400 and "signer_name" in nameless.json()["fields"]


@pytest.mark.django_db
def test_the_manifest_and_the_service_worker_make_it_installable(client):
    manifest = client.get("/my-day/manifest.webmanifest", HTTP_HOST="localhost")
    assert manifest.status_code == 200 and manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert (data["start_url"], data["scope"], data["display"]) == ("/my-day/", "/my-day/", "standalone")
    worker = client.get("/my-day/sw.js", HTTP_HOST="localhost")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/my-day/" and worker["Cache-Control"] == "no-cache"
    body = worker.content.decode()
    assert body.startswith("self.MY_DAY = ") and "/static/js/my_day.js" in body and "addEventListener" in body
