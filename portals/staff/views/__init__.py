"""Staff console views, one module per area; portals/staff/urls.py maps them."""
