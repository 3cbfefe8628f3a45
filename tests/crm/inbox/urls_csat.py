"""The staff host's URLconf with the survey's page under /hooks/ (namespace "hooks"), as it is once the lead
includes crm.hooks.urls_csat in crm/hooks/urls.py; the CSAT tests route through it."""

from django.urls import include, path

from crm.hooks import urls as hooks
from omni import urls as staff

urlpatterns = [
    path("hooks/", include(([*hooks.urlpatterns, path("", include("crm.hooks.urls_csat"))], "hooks"))),
    *[pattern for pattern in staff.urlpatterns if str(pattern.pattern) != "hooks/"],
]
