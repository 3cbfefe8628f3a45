"""Every API resource runs the shared API contracts (tests/omni/api_contract.py): a resource served under /api/v1/
without a test class that runs them (a ResourceContract subclass whose `url` is its list URL) fails here."""

import importlib
from pathlib import Path

from drf_spectacular.generators import EndpointEnumerator

from tests.omni.api_contract import ResourceContract

TESTS = Path(__file__).resolve().parent


def _subclasses(cls) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def _resources() -> set[str]:
    """The list URL of every resource: a route answering GET with a viewset's `list` action."""
    return {
        path
        for path, _regex, method, view in EndpointEnumerator(urlconf="omni.urls").get_api_endpoints()
        if path.startswith("/api/v1/") and method == "GET" and getattr(view, "actions", {}).get("get") == "list"
    }


def test_every_api_resource_runs_the_contracts():
    for path in TESTS.rglob("test_*.py"):  # the modules that use the contracts (importing others may have effects)
        if "api_contract import" in path.read_text():
            importlib.import_module(".".join(("tests", *path.relative_to(TESTS).with_suffix("").parts)))
    covered = {cls.url for cls in _subclasses(ResourceContract) if getattr(cls, "url", None)}
    resources = _resources()
    assert "/api/v1/crm/accounts/" in resources  # the enumeration finds the routes
    assert resources - covered == set()
