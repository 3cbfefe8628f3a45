"""network's admin: plant.py (civil, fibre, equipment, service points) and connectivity.py (endpoints,
connections, splice plans) and paths.py (the path cache, read-only). Writes go through network.services."""

from . import connectivity, paths, plant  # noqa: F401
