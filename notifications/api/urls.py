"""/api/v1/notifications/: each part adds its routes here."""

urlpatterns: list = []
