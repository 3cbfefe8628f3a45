"""The API's OpenAPI schema is a contract with the systems that call it: it changes only on purpose. The schema the
code generates must equal tests/snapshots/openapi.yaml; a deliberate change regenerates the snapshot with
`DEBUG=true .venv/bin/python manage.py spectacular --file tests/snapshots/openapi.yaml` in the same commit, so the
diff shows every change to the contract."""

from pathlib import Path

import yaml
from django.core.management import call_command

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.yaml"


def test_the_schema_is_the_committed_snapshot(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated))
    expected = yaml.safe_load(SNAPSHOT.read_text())
    actual = yaml.safe_load(generated.read_text())
    changed = sorted(
        path
        for path in set(expected["paths"]) | set(actual["paths"])
        if expected["paths"].get(path) != actual["paths"].get(path)
    )
    components = sorted(
        name
        for name in set(expected["components"]["schemas"]) | set(actual["components"]["schemas"])
        if expected["components"]["schemas"].get(name) != actual["components"]["schemas"].get(name)
    )
    assert (changed, components) == ([], []), "regenerate tests/snapshots/openapi.yaml if the change is meant"
    assert actual == expected
