"""Serializers of the network API: `<Entity>Out` read-only (geometry as GeoJSON, foreign keys as ids), `<Entity>In`
the writable fields (foreign keys by id, scoped to what exists)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.models import Account
from omni.api.fields import GeoJSONPointField

from ..choices import (
    SPLITTER_OUTPUTS,
    ConnectionKind,
    ConnectionStatus,
    EndpointKind,
    PlanAction,
    SplicePlanStatus,
)
from ..models import (
    Cable,
    CableSegment,
    CableType,
    Connection,
    Enclosure,
    Endpoint,
    Olt,
    Ont,
    Pathway,
    PonPort,
    ServicePoint,
    SlackLoop,
    SplicePlan,
    SplicePlanEntry,
    SpliceTray,
    Splitter,
    Structure,
)
from ..selectors import strand_state
from .fields import GeoJSONLineField

_STAMPS = ["created_at", "updated_at"]

# ---- civil ---------------------------------------------------------------------------------------------------------


class StructureOut(serializers.ModelSerializer):
    geom = GeoJSONPointField(read_only=True)

    class Meta:
        model = Structure
        fields = ["id", "number", "name", "kind", "status", "ownership", "owner", "geom", "address", "height_m",
                  "notes", *_STAMPS]  # fmt: skip
        read_only_fields = fields


class StructureIn(serializers.ModelSerializer):
    geom = GeoJSONPointField()

    class Meta:
        model = Structure
        fields = ["name", "kind", "status", "ownership", "owner", "geom", "address", "height_m", "notes"]


class PathwayOut(serializers.ModelSerializer):
    geom = GeoJSONLineField(read_only=True)
    geo_length_m = serializers.FloatField(read_only=True)
    length_m = serializers.FloatField(read_only=True, help_text="The measured length when known, else geo_length_m.")

    class Meta:
        model = Pathway
        fields = ["id", "number", "name", "kind", "status", "a_structure", "b_structure", "parent", "geom",
                  "geo_length_m", "measured_length_m", "length_m", "material", "diameter_mm", "depth_m",
                  "attachment_height_m", "notes", *_STAMPS]  # fmt: skip
        read_only_fields = fields


class PathwayIn(serializers.ModelSerializer):
    geom = GeoJSONLineField()

    class Meta:
        model = Pathway
        fields = ["name", "kind", "status", "a_structure", "b_structure", "parent", "geom", "measured_length_m",
                  "material", "diameter_mm", "depth_m", "attachment_height_m", "notes"]  # fmt: skip


class CableSegmentOut(serializers.ModelSerializer):
    class Meta:
        model = CableSegment
        fields = ["id", "cable", "pathway", "seq", "slack_m", *_STAMPS]
        read_only_fields = fields


class CableSegmentIn(serializers.ModelSerializer):
    seq = serializers.IntegerField(
        min_value=1, required=False, help_text="Position in the route from the cable's A end; omitted: after the last."
    )
    slack_m = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False)

    class Meta:
        model = CableSegment
        fields = ["cable", "pathway", "seq", "slack_m"]
        validators = []  # the service checks the position and the route (and names the field)


class SlackLoopOut(serializers.ModelSerializer):
    length_m = serializers.DecimalField(
        max_digits=10, decimal_places=2, read_only=True, help_text="Between the two sheath marks."
    )

    class Meta:
        model = SlackLoop
        fields = ["id", "cable", "structure", "start_mark_m", "end_mark_m", "length_m", "storage", "notes",
                  *_STAMPS]  # fmt: skip
        read_only_fields = fields


class SlackLoopIn(serializers.ModelSerializer):
    start_mark_m = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    end_mark_m = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)

    class Meta:
        model = SlackLoop
        fields = ["cable", "structure", "start_mark_m", "end_mark_m", "storage", "notes"]


# ---- fibre ---------------------------------------------------------------------------------------------------------


class CableTypeOut(serializers.ModelSerializer):
    class Meta:
        model = CableType
        fields = ["id", "name", "manufacturer", "construction", "fiber_count", "tube_count", "fibers_per_tube",
                  "fiber_spec", "attenuation_1310_db_km", "attenuation_1490_db_km", "attenuation_1550_db_km",
                  "colour_scheme", "is_connectorised", "outer_diameter_mm", "notes", *_STAMPS]  # fmt: skip
        read_only_fields = fields


class CableTypeIn(serializers.ModelSerializer):
    class Meta:
        model = CableType
        fields = [f for f in CableTypeOut.Meta.fields if f not in ("id", *_STAMPS)]
        validators = []  # the service's full_clean checks the constraints (and names the field)


class CableOut(serializers.ModelSerializer):
    geom = GeoJSONLineField(read_only=True)
    geo_length_m = serializers.FloatField(read_only=True, allow_null=True, help_text="Null without a route.")
    length_m = serializers.FloatField(
        read_only=True, allow_null=True, help_text="The measured length when known, else geo_length_m."
    )
    fiber_count = serializers.IntegerField(source="cable_type.fiber_count", read_only=True)
    pathways = serializers.SerializerMethodField(help_text="The pathways it runs through, in order from its A end.")

    class Meta:
        model = Cable
        fields = ["id", "number", "name", "cable_type", "fiber_count", "role", "status", "a_structure",
                  "b_structure", "a_enclosure", "b_enclosure", "geom", "geo_length_m", "measured_length_m",
                  "length_m", "a_mark_m", "b_mark_m", "installed_on", "pathways", "notes", *_STAMPS]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_pathways(self, cable) -> list:
        return [str(segment.pathway_id) for segment in cable.segments.all()]


class CableIn(serializers.ModelSerializer):
    geom = GeoJSONLineField(required=False, allow_null=True)

    class Meta:
        model = Cable
        fields = ["name", "cable_type", "role", "status", "a_structure", "b_structure", "a_enclosure",
                  "b_enclosure", "geom", "measured_length_m", "a_mark_m", "b_mark_m", "installed_on",
                  "notes"]  # fmt: skip


class CableRouteIn(serializers.Serializer):
    pathways = serializers.ListField(
        child=serializers.UUIDField(), allow_empty=True, max_length=1000,
        help_text="Pathway ids in order from the cable's A end; consecutive ones share a structure.",
    )  # fmt: skip


class StrandOut(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.IntegerField()
    tube = serializers.IntegerField(source="tube_position", help_text="The tube's position in the cable.")
    position = serializers.IntegerField(help_text="The fibre's position in its tube.")
    colour = serializers.CharField()
    stripe = serializers.CharField(help_text="The stripe colour; empty when unstriped.")
    stripe_count = serializers.IntegerField()
    tube_colour = serializers.CharField()
    tube_stripe = serializers.CharField()
    state = serializers.SerializerMethodField(
        help_text="lit (on a connection chain that reaches a PON port: a cached service path crosses it), "
        "reserved (held) or dark.",
    )
    reserved = serializers.BooleanField()
    a_endpoint = serializers.UUIDField(help_text="The endpoint of its A end (connections join endpoints).")
    b_endpoint = serializers.UUIDField()

    @extend_schema_field(serializers.ChoiceField(choices=["lit", "reserved", "dark"]))
    def get_state(self, strand) -> str:
        return strand_state(reserved=strand.reserved, lit=strand.lit)


# ---- enclosures and equipment --------------------------------------------------------------------------------------


class SpliceTrayOut(serializers.ModelSerializer):
    class Meta:
        model = SpliceTray
        fields = ["id", "number", "kind", "capacity"]
        read_only_fields = fields


class EnclosureOut(serializers.ModelSerializer):
    trays = SpliceTrayOut(many=True, read_only=True)

    class Meta:
        model = Enclosure
        fields = ["id", "number", "name", "kind", "status", "structure", "model", "port_capacity", "trays", "notes",
                  *_STAMPS]  # fmt: skip
        read_only_fields = fields


class EnclosureIn(serializers.ModelSerializer):
    trays = serializers.IntegerField(
        min_value=0, max_value=100, required=False, write_only=True,
        help_text="On create: the number of splice trays to make (numbered from 1).",
    )  # fmt: skip
    tray_capacity = serializers.IntegerField(min_value=1, max_value=1000, required=False, write_only=True)

    class Meta:
        model = Enclosure
        fields = ["name", "kind", "status", "structure", "model", "port_capacity", "notes", "trays", "tray_capacity"]


class OltOut(serializers.ModelSerializer):
    pon_ports = serializers.SerializerMethodField()

    class Meta:
        model = Olt
        fields = ["id", "name", "status", "structure", "enclosure", "vendor", "model", "serial", "management_ip",
                  "pon_ports", "notes", *_STAMPS]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_pon_ports(self, olt) -> list:
        return [str(port.pk) for port in olt.pon_ports.all()]


class OltIn(serializers.ModelSerializer):
    class Meta:
        model = Olt
        fields = ["name", "status", "structure", "enclosure", "vendor", "model", "serial", "management_ip", "notes"]
        validators = []


class PonPortOut(serializers.ModelSerializer):
    endpoint = serializers.UUIDField(source="endpoint_id", read_only=True)
    max_loss_db = serializers.DecimalField(
        max_digits=5, decimal_places=2, read_only=True, help_text="The loss budget of its optical class, dB."
    )

    class Meta:
        model = PonPort
        fields = ["id", "olt", "slot", "port", "technology", "optical_class", "max_loss_db", "max_split", "status",
                  "endpoint", *_STAMPS]  # fmt: skip
        read_only_fields = fields


class PonPortIn(serializers.ModelSerializer):
    class Meta:
        model = PonPort
        fields = ["olt", "slot", "port", "technology", "optical_class", "max_split", "status"]
        validators = []


class SplitterOut(serializers.ModelSerializer):
    ratio = serializers.CharField(read_only=True)
    inputs = serializers.SerializerMethodField(help_text="Input endpoint ids, by port.")
    outputs = serializers.SerializerMethodField(help_text="Output endpoint ids, by port.")

    class Meta:
        model = Splitter
        fields = ["id", "name", "enclosure", "kind", "level", "input_count", "output_count", "ratio",
                  "insertion_loss_db", "status", "inputs", "outputs", *_STAMPS]  # fmt: skip
        read_only_fields = fields

    def _ports(self, splitter, kind) -> list:
        return [str(e.pk) for e in splitter.endpoints.all() if e.kind == kind]

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_inputs(self, splitter) -> list:
        return self._ports(splitter, EndpointKind.SPLITTER_IN)

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_outputs(self, splitter) -> list:
        return self._ports(splitter, EndpointKind.SPLITTER_OUT)


class SplitterIn(serializers.ModelSerializer):
    output_count = serializers.ChoiceField(choices=SPLITTER_OUTPUTS)
    insertion_loss_db = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, required=False, allow_null=True,
        help_text="Empty: the typical loss of the ratio (1:32 is 17.0 dB).",
    )  # fmt: skip

    class Meta:
        model = Splitter
        fields = ["name", "enclosure", "kind", "level", "input_count", "output_count", "insertion_loss_db", "status"]
        extra_kwargs = {"input_count": {"min_value": 1, "max_value": 2}}


class OntOut(serializers.ModelSerializer):
    endpoint = serializers.UUIDField(source="endpoint_id", read_only=True)
    service_point = serializers.UUIDField(source="service_point_id", read_only=True, allow_null=True)

    class Meta:
        model = Ont
        fields = ["id", "serial", "vendor", "model", "status", "enclosure", "endpoint", "service_point", *_STAMPS]
        read_only_fields = fields


class OntIn(serializers.ModelSerializer):
    class Meta:
        model = Ont
        fields = ["serial", "vendor", "model", "status", "enclosure"]
        validators = []


# ---- connections and plans -----------------------------------------------------------------------------------------


class ConnectionOut(serializers.ModelSerializer):
    class Meta:
        model = Connection
        fields = ["id", "kind", "status", "enclosure", "tray", "position", "a", "b", "loss_db", "calculated_loss_db",
                  "splice_plan", "notes", *_STAMPS]  # fmt: skip
        read_only_fields = fields


class ConnectionIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ConnectionKind.choices, default=ConnectionKind.SPLICE)
    status = serializers.ChoiceField(choices=ConnectionStatus.choices, default=ConnectionStatus.AS_BUILT)
    enclosure = serializers.PrimaryKeyRelatedField(queryset=Enclosure.objects.all())
    a = serializers.PrimaryKeyRelatedField(queryset=Endpoint.objects.all(), help_text="An endpoint id.")
    b = serializers.PrimaryKeyRelatedField(queryset=Endpoint.objects.all(), help_text="An endpoint id.")
    tray = serializers.PrimaryKeyRelatedField(queryset=SpliceTray.objects.all(), required=False, allow_null=True)
    position = serializers.IntegerField(min_value=1, max_value=10_000, required=False, allow_null=True)
    loss_db = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, required=False, allow_null=True, help_text="Measured loss, dB."
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)


class ConnectionChangeIn(serializers.Serializer):
    """What changes on a made connection: the measured loss and the notes. Its ends, kind and place never do
    (part it and make another): naming them is a 400."""

    FIXED = ("kind", "status", "enclosure", "a", "b", "tray", "position")

    loss_db = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, required=False, allow_null=True, help_text="Measured loss, dB."
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)

    def validate(self, attrs):
        fixed = [name for name in self.FIXED if name in getattr(self, "initial_data", {})]
        if fixed:
            raise serializers.ValidationError(
                {
                    name: ["A connection's ends, kind and place cannot change: part it and make a new one."]
                    for name in fixed
                }
            )
        return attrs


class SplicePlanEntryIO(serializers.ModelSerializer):
    action = serializers.ChoiceField(choices=PlanAction.choices, default=PlanAction.ADD)
    kind = serializers.ChoiceField(choices=ConnectionKind.choices, default=ConnectionKind.SPLICE)

    class Meta:
        model = SplicePlanEntry
        fields = ["action", "kind", "a", "b", "tray", "position"]
        validators = []
        extra_kwargs = {"position": {"min_value": 1, "max_value": 10_000}}


class SplicePlanOut(serializers.ModelSerializer):
    entries = SplicePlanEntryIO(many=True, read_only=True)

    class Meta:
        model = SplicePlan
        fields = ["id", "number", "name", "enclosure", "status", "entries", "created_by", "approved_by",
                  "approved_at", "applied_by", "applied_at", "notes", *_STAMPS]  # fmt: skip
        read_only_fields = fields


class SplicePlanIn(serializers.ModelSerializer):
    entries = SplicePlanEntryIO(many=True, required=False, max_length=5000)

    class Meta:
        model = SplicePlan
        fields = ["name", "enclosure", "entries", "notes"]


class SplicePlanTransitionIn(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[s for s in SplicePlanStatus.choices if s[0] != SplicePlanStatus.APPLIED],
        help_text="approved, draft or archived; POST apply/ applies an approved plan.",
    )


# ---- premises ------------------------------------------------------------------------------------------------------


class ServicePointOut(serializers.ModelSerializer):
    location = GeoJSONPointField(source="geom", read_only=True)

    class Meta:
        model = ServicePoint
        fields = ["id", "number", "name", "address", "location", "status", "account", "ont", "structure", "notes",
                  *_STAMPS]  # fmt: skip
        read_only_fields = fields


class ServicePointIn(serializers.ModelSerializer):
    location = GeoJSONPointField(source="geom")
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.live(), required=False, allow_null=True)

    class Meta:
        model = ServicePoint
        fields = ["name", "address", "location", "status", "account", "ont", "structure", "notes"]
        validators = []
