"""The app template (scripts/app_template, README "Adding a domain app"): `startapp --template` into a temporary
directory gives an app in the project's layout that passes ruff and the app-layers contract, imports, passes
`manage.py check`, makes its migration, and whose generated tests pass against it. Each step runs as a new app's
author runs it, in a subprocess with the generated app installed."""

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "scripts" / "app_template"
VENV_BIN = Path(sys.executable).parent
NAME = "specimen"
# ARCHITECTURE.md "Inside a domain app", plus the tests folder, which moves to tests/<app>/.
LAYOUT = {
    "__init__.py", "apps.py", "models.py", "choices.py", "services.py", "selectors.py", "events.py", "admin.py",
    "tasks.py", "api/__init__.py", "api/serializers.py", "api/views.py", "api/filters.py", "api/urls.py",
    "migrations/__init__.py",
}  # fmt: skip
TESTS_LAYOUT = {"__init__.py", "factories.py", "test_services.py", "test_api.py"}

# Installs the generated app as README's steps do: INSTALLED_APPS, and its API under /api/v1/<app>/.
SETTINGS = """from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "{name}"]
ROOT_URLCONF = "{name}_urls"
"""
URLS = """from django.urls import include, path

from omni.urls import handler404, urlpatterns  # noqa: F401

urlpatterns = [path("api/v1/{name}/", include("{name}.api.urls")), *urlpatterns]
"""
# The generated tests import `tests.<app>.factories`: their folder joins the project's tests package.
PLUGIN = """import tests

tests.__path__.append({tests_dir!r})
"""

pytestmark = pytest.mark.xdist_group("app_template")


def generate(base: Path, name: str) -> list[Path]:
    """startapp into base/src/<name>, then the move README asks for: <name>/tests -> tests/<name>."""
    app = base / "src" / name
    app.mkdir(parents=True)
    call_command("startapp", name, str(app), template=str(TEMPLATE), verbosity=0)
    (base / "tests").mkdir()
    (base / "tests" / "__init__.py").touch()
    shutil.move(app / "tests", base / "tests" / name)
    return sorted(p for p in base.rglob("*") if p.is_file())


def run(*args: str, base: Path, timeout: int = 120, **env: str) -> subprocess.CompletedProcess:
    # In the project's root (its pyproject.toml, its `tests` package), with the generated app importable.
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_SETTINGS_MODULE"))}
    environment = {
        **keep,
        "PYTHONPATH": os.pathsep.join([str(base / "src"), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": f"{NAME}_settings",
        **env,
    }
    return subprocess.run(args, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout, check=False)


def ruff(*args: str, base: Path, files: list[Path]) -> subprocess.CompletedProcess:
    # The project's configuration, with the generated folders as first-party code as they are in the project.
    src = json.dumps([str(ROOT), str(base / "src"), str(base)])
    config = ["--config", str(ROOT / "pyproject.toml"), "--config", f"src = {src}"]
    return run(str(VENV_BIN / "ruff"), *args, *config, *map(str, files), base=base)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, list[Path]]:
    base = tmp_path_factory.mktemp("app_template")
    files = generate(base, NAME)
    src = base / "src"
    (src / f"{NAME}_settings.py").write_text(SETTINGS.format(name=NAME))
    (src / f"{NAME}_urls.py").write_text(URLS.format(name=NAME))
    (src / f"{NAME}_plugin.py").write_text(PLUGIN.format(tests_dir=str(base / "tests")))
    return base, files


@pytest.fixture(scope="module")
def migrated(generated) -> Path:
    base, _files = generated
    # No database needed (the pool off, so the history check fails fast instead of waiting for one).
    result = run(sys.executable, "-m", "django", "makemigrations", NAME, base=base, DATABASE_POOL_MAX_SIZE="0")
    assert result.returncode == 0, result.stderr
    assert (base / "src" / NAME / "migrations" / "0001_initial.py").exists()
    return base


def test_the_app_has_the_projects_layout_and_no_file_is_a_stub(generated):
    base, files = generated
    app, tests = base / "src" / NAME, base / "tests" / NAME
    assert {p.relative_to(app).as_posix() for p in files if p.is_relative_to(app)} == LAYOUT
    assert {p.relative_to(tests).as_posix() for p in files if p.is_relative_to(tests)} == TESTS_LAYOUT
    for path in files:
        text = path.read_text()
        if path.name != "__init__.py":
            assert len(text.splitlines()) >= 8, f"{path.name} is a stub"
        assert "{%" not in text, path.name  # every template tag rendered
        assert "{{" not in text.replace("Example {{ name }}", ""), path.name  # only the Jinja2 event subject
    apps = (app / "apps.py").read_text()
    assert f'class SpecimenConfig(AppConfig):\n    name = "{NAME}"' in apps
    assert f'"Agent": [f"{NAME}.{{codename}}"' in apps  # role grants in the app's own label


@pytest.mark.parametrize("name", [NAME, "abacus_field_surveys"])  # its imports sort after, and before, every other app
def test_the_app_passes_ruff_once_its_imports_are_sorted(tmp_path, name):
    files = generate(tmp_path, name)
    python = [p for p in files if p.suffix == ".py"]
    # README: `ruff check --fix` sorts the imports of the tests for the app's name (their place depends on it).
    sort = ruff("check", "--select", "I", "--fix", base=tmp_path, files=python)
    assert sort.returncode == 0, sort.stdout
    check = ruff("check", base=tmp_path, files=python)
    assert check.returncode == 0, check.stdout
    formatted = ruff("format", "--check", base=tmp_path, files=python)
    assert formatted.returncode == 0, formatted.stdout


def test_the_app_imports_and_passes_the_system_checks(migrated):
    script = (
        "import django, pkgutil, importlib; django.setup(); "
        f"import {NAME}; "
        f"[importlib.import_module(m.name) for m in pkgutil.walk_packages({NAME}.__path__, '{NAME}.')]; "
        "from django.core.management import call_command; call_command('check', fail_level='WARNING')"
    )
    result = run(sys.executable, "-c", script, base=migrated)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_app_keeps_the_app_layers_contract(migrated):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in project["contracts"] if c.get("containers")]
    config = migrated / "importlinter.toml"
    config.write_text(
        "[tool.importlinter]\n"
        f"root_packages = {json.dumps([*project['root_packages'], NAME])}\n"
        "include_external_packages = false\n\n"
        "[[tool.importlinter.contracts]]\n"
        f"name = {json.dumps(contract['name'])}\n"
        'type = "layers"\n'
        f"containers = {json.dumps([NAME])}\n"
        f"layers = {json.dumps(contract['layers'])}\n"
    )
    result = run(str(VENV_BIN / "lint-imports"), "--config", str(config), base=migrated)
    assert result.returncode == 0, result.stdout
    assert "1 kept, 0 broken" in result.stdout


def test_the_apps_generated_tests_pass(migrated, django_db_setup):
    # A database of its own, so this run never meets the suite's test database; under xdist it is cloned from the
    # run's migrated template (django_db_setup builds it; tests/db_template.py), so only the app's migration runs.
    url = urlsplit(os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/omni"))
    database_url = urlunsplit(url._replace(path=f"{url.path}_app_template"))
    result = run(
        str(VENV_BIN / "pytest"),
        *("-p", f"{NAME}_plugin", "-p", "tests.conftest", "--ds", f"{NAME}_settings", "-n", "0", "-q"),
        str(migrated / "tests" / NAME),
        base=migrated,
        timeout=300,
        DATABASE_URL=database_url,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "33 passed" in result.stdout
