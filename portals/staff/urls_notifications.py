"""Staff console routes for notifications (included by portals/staff/urls.py)."""

urlpatterns: list = []
