"""The inbox's reports (issue 11, part 6): one page, its tables as CSV with ?format=csv&table=..."""

from django.urls import path

from .views import inbox_reports

urlpatterns = [
    path("inbox/reports/", inbox_reports.inbox_reports, name="inbox_reports"),
]
