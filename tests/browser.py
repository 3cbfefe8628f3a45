"""Helpers for the Playwright browser tests (Debian's chromium, see tests/conftest.py)."""

import time
from collections.abc import Callable
from pathlib import Path

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"

# The one wait for anything a browser test expects: Playwright's expect() and every page action and navigation
# (tests/conftest.py applies it), and `until()` below. Generous, so that a machine busy with other work (another
# test run, a build) only makes the tests slower, never failing: a wait ends as soon as its condition holds.
DEADLINE = 30  # seconds
DEADLINE_MS = DEADLINE * 1000


def until(page, condition: Callable[[], object], what: str):
    """Poll `condition()` until it returns something truthy (and return that), failing after DEADLINE. For what no
    Playwright wait can observe (DevTools events, a service worker's promises). Between polls the page's event loop
    runs (wait_for_timeout), so events Playwright dispatches arrive."""
    deadline = time.monotonic() + DEADLINE
    while True:
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what}: not within {DEADLINE} s"
        page.wait_for_timeout(100)


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


# The elements that stick out past the right edge (outside any box that scrolls or clips them): the failure message.
_OVERFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return "";
  const clipped = (el) => {
    if (["absolute", "fixed"].includes(getComputedStyle(el).position)) return false;  // may escape its parents
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > root.clientWidth + 0.5 && !clipped(el)) {
      out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].slice(0, 4).join(".")}`
        + ` right=${Math.round(box.right)} "${(el.innerText || "").trim().slice(0, 40)}"`);
    }
  }
  return `scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}: ` + out.slice(-8).join("; ");
}"""


def sideways_overflow(page) -> str:
    """Empty when the page does not scroll sideways (scrollWidth <= clientWidth), else what sticks out past the edge."""
    page.wait_for_load_state("load")  # measured before the stylesheet is in, any page would be too wide
    return page.evaluate(_OVERFLOW)
