"""Vector tiles of the plant for the network map: `/tiles/<layer>/<z>/<x>/<y>.mvt` (network.tiles). Staff with the
layer's view permission only; 204 for an empty tile; an ETag per layer version, 304 on If-None-Match."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET

from network import tiles
from omni.auth import audience_required

MVT = "application/vnd.mapbox-vector-tile"
LAYER_PERMISSION = {
    "structures": "network.view_structure",
    "pathways": "network.view_pathway",
    "cables": "network.view_cable",
    "enclosures": "network.view_enclosure",
    "service_points": "network.view_servicepoint",
}


def _answer(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    # Revalidate every time (the ETag makes that a 304) and never share a tile between users.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    return response


@require_GET
@audience_required
def tile(request, layer: str, z: int, x: int, y: int):
    if layer not in tiles.LAYERS or not tiles.tile_in_range(z, x, y):
        raise Http404
    if not request.user.has_perm(LAYER_PERMISSION[layer]):
        raise PermissionDenied
    etag = tiles.etag(layer)
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        return _answer(HttpResponse(status=304), etag)
    data = tiles.tile(layer, z, x, y)
    if not data:
        return _answer(HttpResponse(status=204), etag)
    return _answer(HttpResponse(data, content_type=MVT), etag)
