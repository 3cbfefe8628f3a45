"""Staff console routes for partners: resellers and vendors, one set of pages (included by portals/staff/urls.py).
`<kind>` is resellers or vendors (anything else is a 404)."""

from django.urls import path, register_converter

from .views import partners


class PartnerKind:
    regex = "resellers|vendors"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PartnerKind, "partner_kind")

urlpatterns = [
    path("partners/", partners.partner_home, name="partner_home"),
    path("partners/<partner_kind:kind>/", partners.partner_list, name="partner_list"),
    path("partners/<partner_kind:kind>/new/", partners.partner_create, name="partner_create"),
    path("partners/<partner_kind:kind>/<uuid:pk>/", partners.partner_detail, name="partner_detail"),
    path("partners/<partner_kind:kind>/<uuid:pk>/edit/", partners.partner_edit, name="partner_edit"),
    path("partners/<partner_kind:kind>/<uuid:pk>/active/", partners.partner_set_active, name="partner_set_active"),
    path("partners/<partner_kind:kind>/<uuid:pk>/invite/", partners.partner_invite, name="partner_invite"),
    path(
        "partners/<partner_kind:kind>/<uuid:pk>/invite/<uuid:user_pk>/resend/",
        partners.partner_invite_resend,
        name="partner_invite_resend",
    ),
]
