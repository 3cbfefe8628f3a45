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
