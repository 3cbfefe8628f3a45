"""GeoJSON export and import of the plant: `GET /api/v1/network/export.geojson` and `POST /api/v1/network/import/`.

The export is one FeatureCollection of structures, pathways, cables, enclosures (at their structure's point) and
service points; each feature's `properties` are the resource's API fields (as GET .../<id>/ answers them) plus
`layer`. The import takes the same shape: features are created through the network services (their rules hold)
in layer order (structures, pathways, enclosures, cables, service points), in ONE transaction. A reference (a
pathway's `a_structure`, a cable's `a_enclosure`, its `pathways`, ...) is either an existing record's id or the `id`
property of another feature of the file (so an export imports into another instance). Any bad feature and nothing
is saved: 400 `{"features": {"<index>": {"<field>": ["reason"]}}}`."""

import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.response import Response

from omni.api.views import ApiViewSet

from .. import selectors, services
from ..models import Cable, Enclosure, Pathway, ServicePoint, Structure
from .serializers import (
    CableIn,
    CableOut,
    EnclosureIn,
    EnclosureOut,
    PathwayIn,
    PathwayOut,
    ServicePointIn,
    ServicePointOut,
    StructureIn,
    StructureOut,
)

MAX_FEATURES = 5000
# layer -> (model, In serializer, Out serializer, the property holding the geometry in the In serializer or None,
# the references to other features).
LAYERS = {
    "structures": (Structure, StructureIn, StructureOut, "geom", ()),
    "pathways": (Pathway, PathwayIn, PathwayOut, "geom", ("a_structure", "b_structure", "parent")),
    "enclosures": (Enclosure, EnclosureIn, EnclosureOut, None, ("structure",)),
    "cables": (
        Cable,
        CableIn,
        CableOut,
        "geom",
        ("a_structure", "b_structure", "a_enclosure", "b_enclosure"),
    ),
    "service_points": (ServicePoint, ServicePointIn, ServicePointOut, "location", ("structure",)),
}
READ_ONLY = {"id", "number", "created_at", "updated_at", "geo_length_m", "length_m", "fiber_count", "trays", "layer"}


def _feature(layer: str, row, out_class) -> dict:
    properties = dict(out_class(row).data)
    geometry = properties.pop("geom", None) or properties.pop("location", None)
    if layer == "enclosures":
        geometry = {"type": "Point", "coordinates": list(row.structure.geom.coords)}
    return {"type": "Feature", "geometry": geometry, "properties": {"layer": layer, **properties}}


def plant_export(*, user) -> dict:
    """The plant as one FeatureCollection (a fixed number of queries: one or two per layer)."""
    features = []
    for layer, (model, _in, out_class, _geom, _refs) in LAYERS.items():
        rows = selectors.plant_list_visible_to(model, user=user).order_by("number")
        if model is Enclosure:
            rows = rows.select_related("structure")
        features.extend(_feature(layer, row, out_class) for row in rows)
    return {"type": "FeatureCollection", "features": features}


class _Refused(Exception):
    pass


def _errors_of(exc) -> dict:
    if isinstance(exc, DrfValidationError):
        detail = exc.detail
        return detail if isinstance(detail, dict) else {"properties": detail}
    if hasattr(exc, "message_dict"):
        return exc.message_dict
    return {"properties": list(getattr(exc, "messages", [str(exc)]))}


def _create(layer: str, data: dict, user, pathways: list | None):
    model = LAYERS[layer][0]
    if layer == "cables":
        cable = services.cable_create(by=user, **data)
        if pathways:
            services.cable_route_set(cable_id=cable.pk, pathway_ids=pathways, by=user)
        return cable
    if layer == "enclosures":
        return services.enclosure_create(by=user, **data)
    return services.record_create(model, by=user, **data)


def _map_ref(value, created: dict):
    return str(created.get(str(value), value)) if value not in (None, "") else value


def plant_import(*, collection, user) -> dict:
    """Create every feature of `collection` in one transaction (see the module). Returns {"created": {layer: n},
    "ids": {index: id}}; raises DrfValidationError({"features": {index: {field: [reason]}}}) and saves nothing when
    any feature is bad."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise DrfValidationError({"type": ["Send a GeoJSON FeatureCollection."]})
    features = collection.get("features")
    if not isinstance(features, list):
        raise DrfValidationError({"features": ["A list of features is required."]})
    if len(features) > MAX_FEATURES:
        raise DrfValidationError({"features": [f"At most {MAX_FEATURES} features per import."]})
    errors: dict[str, dict] = {}
    todo: dict[str, list[tuple[int, dict]]] = {layer: [] for layer in LAYERS}
    for index, feature in enumerate(features):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(feature, dict) or feature.get("type") != "Feature" or not isinstance(properties, dict):
            errors[str(index)] = {"type": ["A GeoJSON Feature with properties is required."]}
        elif properties.get("layer") not in LAYERS:
            errors[str(index)] = {"layer": [f"Choose one of {', '.join(LAYERS)}."]}
        else:
            todo[properties["layer"]].append((index, feature))
    if errors:
        raise DrfValidationError({"features": errors})

    created: dict[str, uuid.UUID] = {}  # a feature's `id` property -> the record made for it
    ids: dict[str, str] = {}
    counts = dict.fromkeys(LAYERS, 0)
    try:
        with transaction.atomic():
            for layer, (_model, in_class, _out, geom_name, refs) in LAYERS.items():
                for index, feature in todo[layer]:
                    properties = feature["properties"]
                    data = {k: v for k, v in properties.items() if k not in READ_ONLY and k != "pathways"}
                    for name in refs:
                        if name in data:
                            data[name] = _map_ref(data[name], created)
                    if geom_name:
                        data[geom_name] = feature.get("geometry")
                    pathways = properties.get("pathways") if layer == "cables" else None
                    if pathways is not None and not isinstance(pathways, list):
                        errors[str(index)] = {"pathways": ["A list of pathway ids is required."]}
                        continue
                    try:
                        pathways = [uuid.UUID(_map_ref(p, created)) for p in pathways or []]
                    except (TypeError, ValueError, AttributeError):
                        errors[str(index)] = {"pathways": ["A list of pathway ids is required."]}
                        continue
                    try:
                        with transaction.atomic():  # a savepoint: the other features are still checked
                            serializer = in_class(data=data)
                            if not serializer.is_valid():
                                raise DrfValidationError(serializer.errors)
                            record = _create(layer, dict(serializer.validated_data), user, pathways)
                    except (DrfValidationError, DjangoValidationError) as exc:
                        field_errors = _errors_of(exc)
                        if geom_name and geom_name in field_errors:
                            field_errors["geometry"] = field_errors.pop(geom_name)
                        errors[str(index)] = field_errors
                        continue
                    if properties.get("id") is not None:
                        created[str(properties["id"])] = record.pk
                    ids[str(index)] = str(record.pk)
                    counts[layer] += 1
            if errors:
                raise _Refused
    except _Refused:
        raise DrfValidationError({"features": dict(sorted(errors.items(), key=lambda kv: int(kv[0])))}) from None
    return {"created": counts, "ids": ids}


FeatureCollectionSchema = inline_serializer(
    "NetworkFeatureCollection",
    {
        "type": serializers.ChoiceField(choices=["FeatureCollection"]),
        "features": serializers.ListField(
            child=serializers.DictField(),
            help_text="GeoJSON features; properties.layer is one of " + ", ".join(LAYERS) + ".",
        ),
    },
)
ImportResult = inline_serializer(
    "NetworkImportResult",
    {
        "created": serializers.DictField(child=serializers.IntegerField(), help_text="Features created per layer."),
        "ids": serializers.DictField(child=serializers.UUIDField(), help_text="The record made per feature index."),
    },
)


class PlantGeoJsonViewSet(ApiViewSet):
    """The plant as GeoJSON: export (staff who may view the plant) and import (staff who may add every layer)."""

    queryset = Structure.objects.none()
    action_permission = {"export": "view", "import_": "add"}

    def check_permissions(self, request):
        super().check_permissions(request)
        verb = self.action_permission[self.action]
        for model, *_rest in LAYERS.values():
            if not request.user.has_perm(f"network.{verb}_{model._meta.model_name}"):
                raise PermissionDenied(f"Your role may not {verb} {model._meta.verbose_name_plural}.")

    @extend_schema(
        summary="Export the plant as GeoJSON",
        responses={200: OpenApiResponse(FeatureCollectionSchema, description="A FeatureCollection.")},
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        return Response(plant_export(user=request.user))

    @extend_schema(
        summary="Import plant from GeoJSON",
        description="One transaction: a bad feature is a 400 naming its index, field and reason, and nothing is saved.",
        request=FeatureCollectionSchema,
        responses={201: ImportResult},
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_(self, request):
        return Response(plant_import(collection=request.data, user=request.user), status=status.HTTP_201_CREATED)


urlpatterns = [
    path("export.geojson", PlantGeoJsonViewSet.as_view({"get": "export"}), name="network-geojson-export"),
    path("import/", PlantGeoJsonViewSet.as_view({"post": "import_"}), name="network-geojson-import"),
]
