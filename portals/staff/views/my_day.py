"""The technician view (issue 14 item 8): /my-day/, a mobile-first page of a technician's day that works offline.

Who: a staff user with an active Technician record (anyone else on the staff host gets a 403 page saying so;
portal users never sign in on this host, and /my-day/ is routed on the staff host only). A technician sees only
their own jobs: another technician's job, photo or checklist item is a 404, as if it did not exist.

How: the page lists the day's route; static/js/my_day.js queues every update (status buttons, checklist ticks,
notes, materials, time entries, completion) in localStorage with a client-made idempotency key and POSTs the queue
to /my-day/sync/ whenever the browser is online (services.sync_apply applies each key once). Photos and the
signature are files and need a connection. static/js/my_day_sw.js (served as /my-day/sw.js, scope /my-day/) keeps
the page and its assets for offline use; /my-day/manifest.webmanifest makes it installable."""

import datetime
import json
from functools import wraps

from django.contrib.gis.geos import Point
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods

from omni.auth import audience_required
from omni.exceptions import DomainError
from workforce import selectors_field, services
from workforce.choices import WORK_ORDER_TRANSITIONS, AppointmentStatus, TimeEntryKind, WorkOrderStatus
from workforce.models import Appointment
from workforce.services.field import FIELD_STATUSES

# The files the offline page needs (the service worker keeps them): the page's own assets, no htmx or Alpine.
ASSETS = ("css/app.css", "js/my_day.js", "img/favicon.svg")


def _error(status: int, detail: str, fields: dict | None = None, code: str = "invalid") -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail, "fields": fields or {}}, status=status)


def technician_view(methods=("GET",)):
    """Staff host, signed in (audience_required), with an active Technician record: `request.technician`. Others
    get 403 (a page saying why, or JSON for the page's script)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            technician = selectors_field.technician_of(user=request.user)
            if technician is None:
                message = _("This page is for technicians: your account has no technician record.")
                if request.method == "GET":
                    return render(request, "staff/my_day/not_technician.html", {"message": message}, status=403)
                return _error(403, message, code="permission_denied")
            request.technician = technician
            return view(request, *args, **kwargs)

        return require_http_methods(list(methods))(audience_required(wrapper))

    return decorate


def _transitions() -> dict[str, list[str]]:
    """The status machine as the page's buttons need it: for each status, the field statuses it may move to."""
    return {
        status: [to for to in FIELD_STATUSES if to in allowed] for status, allowed in WORK_ORDER_TRANSITIONS.items()
    }


def _day(request, technician) -> datetime.date:
    raw = request.GET.get("date", "")
    if raw:
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            pass
    return selectors_field.technician_today(technician, now=timezone.now())


def _context(request, technician, appointments, **extra) -> dict:
    return {
        "technician": technician,
        "appointments": appointments,
        "status_labels_json": json.dumps({value: str(label) for value, label in WorkOrderStatus.choices}),
        "transitions_json": json.dumps(_transitions()),
        "field_statuses": FIELD_STATUSES,
        "time_entry_kinds": TimeEntryKind.choices,
        **extra,
    }


@never_cache  # always asked of the server when online; the service worker keeps a copy for offline use
@technician_view()
def my_day(request):
    technician = request.technician
    day = _day(request, technician)
    appointments = selectors_field.appointment_list_for_technician_day(technician=technician, day=day)
    if services.checklists_copy(work_order_ids=[a.work_order_id for a in appointments]):
        # the jobs opened for the first time got their checklist: read the day again (rare)
        appointments = selectors_field.appointment_list_for_technician_day(technician=technician, day=day)
    context = _context(
        request,
        technician,
        appointments,
        day=day,
        previous_day=day - datetime.timedelta(days=1),
        next_day=day + datetime.timedelta(days=1),
    )
    return render(request, "staff/my_day/day.html", context)


@never_cache
@technician_view()
def my_day_job(request, pk):
    """One job of the technician's (any day): 404 when it is not theirs."""
    technician = request.technician
    if selectors_field.work_order_for_technician(technician=technician, work_order_id=pk) is None:
        raise Http404
    services.checklist_copy(work_order_id=pk)
    live = (
        Appointment.objects.filter(technician=technician, work_order_id=pk)
        .exclude(status=AppointmentStatus.CANCELLED)
        .first()
    )
    day = selectors_field.technician_today(technician, now=live.scheduled.lower)
    appointments = [
        a
        for a in selectors_field.appointment_list_for_technician_day(technician=technician, day=day)
        if a.work_order_id == pk
    ]
    return render(request, "staff/my_day/job.html", _context(request, technician, appointments, day=day))


@technician_view(methods=("POST",))
def my_day_sync(request):
    """POST {"operations": [{key, op, ...}, ...]} (services.sync_apply) -> {"results": [...]}, one per operation
    in order. A malformed body is a 400 naming `operations`."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _error(400, _("Send JSON."), {"operations": [_("Send JSON.")]})
    if not isinstance(body, dict):
        return _error(400, _("Send an object."), {"operations": [_("Send an object.")]})
    try:
        results = services.sync_apply(technician=request.technician, by=request.user, operations=body.get("operations"))
    except ValidationError as exc:
        return _error(400, "; ".join(exc.messages), exc.message_dict)
    return JsonResponse({"results": results})


def _job_or_404(request, pk):
    work_order = selectors_field.work_order_for_technician(technician=request.technician, work_order_id=pk)
    if work_order is None:
        raise Http404
    return work_order


def _point(request) -> Point | None:
    lat, lng = request.POST.get("lat", ""), request.POST.get("lng", "")
    if not lat and not lng:
        return None
    try:
        lat, lng = float(lat), float(lng)
    except ValueError:
        raise ValidationError({"lat": [_("Give the position as numbers.")]}) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationError({"lat": [_("The position is outside the map.")]})
    return Point(lng, lat, srid=4326)


def _refusal(exc) -> JsonResponse:
    if isinstance(exc, ValidationError):
        return _error(400, "; ".join(exc.messages), exc.message_dict)
    return _error(exc.status_code, exc.message, exc.fields, code=exc.code)


@technician_view(methods=("POST",))
def my_day_photo_upload(request, pk):
    """A photo of the job (multipart `photo`, optional `lat`, `lng`, `taken_at`): 201 with its URL, 400 naming the
    field (size, type, a file that is not what its name says), 409 on a closed job."""
    work_order = _job_or_404(request, pk)
    upload = request.FILES.get("photo")
    if upload is None:
        return _error(400, _("Choose a photo."), {"photo": [_("Choose a photo.")]})
    try:
        photo = services.photo_add(
            work_order_id=work_order.pk,
            upload=upload,
            by=request.user,
            point=_point(request),
            taken_at=request.POST.get("taken_at") or None,
        )
    except (ValidationError, DomainError) as exc:
        return _refusal(exc)
    url = reverse("staff:my_day_photo", kwargs={"pk": photo.pk})
    return JsonResponse({"id": str(photo.pk), "url": url, "name": photo.name}, status=201)


@technician_view(methods=("POST",))
def my_day_signature(request, pk):
    """The customer's signature (multipart `signature`, a PNG, and `signer_name`): 201, or 400 naming the field."""
    work_order = _job_or_404(request, pk)
    image = request.FILES.get("signature")
    if image is None:
        return _error(400, _("Sign first."), {"signature": [_("Sign first.")]})
    try:
        signature = services.signature_save(
            work_order_id=work_order.pk, image=image, signer_name=request.POST.get("signer_name", ""), by=request.user
        )
    except (ValidationError, DomainError) as exc:
        return _refusal(exc)
    return JsonResponse(
        {"signer_name": signature.signer_name, "signed_at": signature.signed_at.isoformat()}, status=201
    )


@technician_view()
@cache_control(private=True, max_age=3600)
def my_day_photo(request, pk):
    """A photo of one of the technician's jobs, inline: only checked image types are stored (their first bytes),
    served with nosniff, so nothing else can be rendered from our origin."""
    photo = selectors_field.photo_for_technician(technician=request.technician, photo_id=pk)
    if photo is None or not photo.file.storage.exists(photo.file.name):
        raise Http404
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@require_GET
@cache_control(max_age=3600)
def my_day_manifest(request):
    """The web app manifest (public: browsers fetch it without cookies)."""
    start = reverse("staff:my_day")
    data = {
        "name": _("My day"),
        "short_name": _("My day"),
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "background_color": "#f8fafc",
        "theme_color": "#1d4ed8",
        "icons": [{"src": static("img/favicon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    return JsonResponse(data, content_type="application/manifest+json")


@require_GET
def my_day_worker(request):
    """static/js/my_day_sw.js with the page's URL and its assets' (hashed) URLs, served at /my-day/sw.js: its scope
    is /my-day/ (Service-Worker-Allowed says so), so it controls the day page and nothing else of the site."""
    path = finders.find("js/my_day_sw.js")
    if not path:
        raise Http404("service worker missing")
    with open(path, encoding="utf-8") as source:
        code = source.read()
    config = {"page": reverse("staff:my_day"), "assets": [static(name) for name in ASSETS]}
    # the assets' URLs change with each deploy (hashed names): so does the worker, which the browser then updates
    body = f"self.MY_DAY = {json.dumps(config)};\n{code}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("staff:my_day")
    return response
