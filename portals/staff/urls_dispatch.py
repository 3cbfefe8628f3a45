"""The staff console's dispatch board."""

from django.urls import path

from .views import dispatch

urlpatterns = [
    path("dispatch/", dispatch.dispatch_board, name="dispatch_board"),
    path("dispatch/drop/", dispatch.dispatch_drop, name="dispatch_drop"),
]

from .views import dispatch_runs  # noqa: E402  (the dispatch runs, issue 14 item 6)

urlpatterns += [
    path("dispatch/runs/", dispatch_runs.dispatch_runs, name="dispatch_runs"),
    path("dispatch/runs/start/", dispatch_runs.dispatch_run_start, name="dispatch_run_start"),
    path("dispatch/runs/<uuid:pk>/", dispatch_runs.dispatch_run_detail, name="dispatch_run_detail"),
    path("dispatch/runs/<uuid:pk>/apply/", dispatch_runs.dispatch_run_apply, name="dispatch_run_apply"),
    path("dispatch/runs/<uuid:pk>/discard/", dispatch_runs.dispatch_run_discard, name="dispatch_run_discard"),
]
