"""The staff console's network pages: the plant map and its vector tiles."""

from django.urls import path, register_converter

from .views import network, network_tiles


class _Layer:
    regex = "[a-z_]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(_Layer, "layer")

urlpatterns = [
    path("network/map/", network.network_map, name="network_map"),
    path("tiles/<layer:layer>/<int:z>/<int:x>/<int:y>.mvt", network_tiles.tile, name="network_tile"),
]
