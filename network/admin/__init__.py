"""network's admin: plant.py (civil, fibre, equipment, service points) and connectivity.py (endpoints,
connections, splice plans). Writes go through network.services."""

from . import connectivity, plant  # noqa: F401
