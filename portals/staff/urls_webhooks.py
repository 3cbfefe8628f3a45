"""Staff console routes for webhooks (included by portals/staff/urls.py)."""

urlpatterns: list = []
