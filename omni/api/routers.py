from rest_framework.routers import DefaultRouter


class Router(DefaultRouter):
    """Every API route answers with and without its trailing slash: a POST to `/accounts` must not meet
    Django's APPEND_SLASH redirect (which cannot carry a body). The schema lists the slashed form."""

    include_root_view = False

    def __init__(self):
        super().__init__(trailing_slash=True)
        self.trailing_slash = "/?"
