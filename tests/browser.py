"""Helpers for the Playwright browser tests (Debian's chromium, see tests/conftest.py)."""

from pathlib import Path

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"


def on(live_server, host: str, path: str) -> str:
    """The live server's URL on another host name (portal.localhost, ...): *.localhost is loopback."""
    return live_server.url.replace("localhost", host, 1) + path


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core findings on the page, as readable strings."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def sign_in(page, live_server, host: str, email: str, password: str) -> None:
    page.goto(on(live_server, host, "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
