"""Admin of the workforce app: vendors (vendors.py) and the people, places and work (people.py, orders.py)."""

from . import crews, orders, people, vendors  # noqa: F401 - registers the admins
