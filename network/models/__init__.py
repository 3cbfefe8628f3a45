"""The data of network (STYLE.md section 2): civil.py the civil layer (structures, pathways, cable routes, slack),
fiber.py cable types, cables, tubes and strands, equipment.py enclosures, trays, OLTs, PON ports, splitters and
ONTs, connectivity.py the optical graph (endpoints, connections, splice plans), premises.py service points.
Wireless sites and surveys (DOMAIN.md part B) will be a wireless.py beside them."""

from .civil import CableSegment, Pathway, SlackLoop, Structure
from .connectivity import (
    ENDPOINT_TAKEN_CONSTRAINT,
    Connection,
    ConnectionEnd,
    Endpoint,
    SplicePlan,
    SplicePlanEntry,
)
from .equipment import Enclosure, Olt, Ont, PonPort, SpliceTray, Splitter
from .fiber import BufferTube, Cable, CableType, Strand
from .paths import ServicePath, ServicePathQueue
from .premises import ServicePoint

__all__ = [
    "ENDPOINT_TAKEN_CONSTRAINT",
    "BufferTube",
    "Cable",
    "CableSegment",
    "CableType",
    "Connection",
    "ConnectionEnd",
    "Enclosure",
    "Endpoint",
    "Olt",
    "Ont",
    "Pathway",
    "PonPort",
    "ServicePath",
    "ServicePathQueue",
    "ServicePoint",
    "SlackLoop",
    "SplicePlan",
    "SplicePlanEntry",
    "SpliceTray",
    "Splitter",
    "Strand",
    "Structure",
]
