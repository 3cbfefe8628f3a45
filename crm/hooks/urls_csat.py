"""`/hooks/csat/<token>/`: the satisfaction survey's public page (namespace "hooks", name "csat"). Included by
crm/hooks/urls.py: `path("", include("crm.hooks.urls_csat"))`."""

from django.urls import path

from . import csat

urlpatterns = [
    path("csat/<str:token>/", csat.csat, name="csat"),
]
