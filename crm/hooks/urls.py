"""`/hooks/`: the inbox's inbound webhooks and the web chat widget's public endpoints (namespace "hooks")."""

from django.urls import include, path

app_name = "hooks"

urlpatterns = [
    path("", include("crm.hooks.urls_email")),
    path("", include("crm.hooks.urls_messaging")),
    path("", include("crm.hooks.urls_webchat")),
    path("", include("crm.hooks.urls_csat")),
]
