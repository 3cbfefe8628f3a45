"""The staff console's network pages: the plant map and its vector tiles, the plant lists and pages."""

from django.urls import path, register_converter

from .views import network, network_pages, network_tiles


class _Layer:
    regex = "[a-z_]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(_Layer, "layer")

urlpatterns = [
    path("network/map/", network.network_map, name="network_map"),
    path("network/structures/", network_pages.structure_list, name="network_structure_list"),
    path("network/structures/<uuid:pk>/", network_pages.structure_detail, name="network_structure_detail"),
    path("network/cables/", network_pages.cable_list, name="network_cable_list"),
    path("network/cables/<uuid:pk>/", network_pages.cable_detail, name="network_cable_detail"),
    path("network/enclosures/", network_pages.enclosure_list, name="network_enclosure_list"),
    path("network/enclosures/<uuid:pk>/", network_pages.enclosure_detail, name="network_enclosure_detail"),
    path("network/olts/", network_pages.olt_list, name="network_olt_list"),
    path("network/service-points/", network_pages.service_point_list, name="network_service_point_list"),
    path("tiles/<layer:layer>/<int:z>/<int:x>/<int:y>.mvt", network_tiles.tile, name="network_tile"),
]
