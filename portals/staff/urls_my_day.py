"""The technician view (portals/staff/views/my_day.py): the day page, its offline sync, photos, signature, and the
installable app's manifest and service worker (served under /my-day/ so that the worker's scope is /my-day/)."""

from django.urls import path

from .views import my_day

urlpatterns = [
    path("my-day/", my_day.my_day, name="my_day"),
    path("my-day/sync/", my_day.my_day_sync, name="my_day_sync"),
    path("my-day/jobs/<uuid:pk>/", my_day.my_day_job, name="my_day_job"),
    path("my-day/jobs/<uuid:pk>/photos/", my_day.my_day_photo_upload, name="my_day_photo_upload"),
    path("my-day/jobs/<uuid:pk>/signature/", my_day.my_day_signature, name="my_day_signature"),
    path("my-day/photos/<uuid:pk>/", my_day.my_day_photo, name="my_day_photo"),
    path("my-day/manifest.webmanifest", my_day.my_day_manifest, name="my_day_manifest"),
    path("my-day/sw.js", my_day.my_day_worker, name="my_day_worker"),
]
