"""Admin of the workforce app: vendors (vendors.py), the people, places and work (people.py, orders.py) and the
field work on work orders (field.py)."""

from . import crews, dispatch, field, orders, people, vendors  # noqa: F401 - registers the admins
