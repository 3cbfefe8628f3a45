"""Being built (issue 11)."""

urlpatterns = []
