"""The staff host (OMNI_DOMAIN): console, /admin/, /api/. Portal hosts use portals/<audience>/urls.py."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.functional import lazy
from django.utils.text import format_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from .admin import EmailAddressReadOnlyAdmin
from .auth import admin_login
from .urls_common import urlpatterns as common

# Admin sign-in goes through allauth (two-factor, rate limits, pre_login): /admin/login/ only redirects.
admin.site.login = admin_login
admin.site.unregister(EmailAddress)
admin.site.register(EmailAddress, EmailAddressReadOnlyAdmin)
# Read when a page renders (lazy), so the admin goes by OMNI_PRODUCT_NAME as configured.
_product_name = lazy(lambda: settings.OMNI_PRODUCT_NAME, str)()
admin.site.site_header = format_lazy("{} administration", _product_name)
admin.site.site_title = _product_name

api_v1 = [
    path("crm/", include("crm.api.urls")),
    path("workforce/", include("workforce.api.urls")),
    path("tickets/", include("tickets.api.urls")),
    path("network/", include("network.api.urls")),
    path("network/", include("network.api.geojson")),
    path("notifications/", include("notifications.api.urls")),
    path("network/", include("network.api.trace")),
]

urlpatterns = [
    *common,
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("hooks/", include("crm.hooks.urls")),  # inbound webhooks of the inbox's channels, the web chat widget
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/docs/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("portals.staff.urls")),
]

handler404 = "omni.views.not_found"
