"""The gradient-flow explorer in Chromium: the Python reference's numbers, by keyboard, by URL.

The controls are set the way a reader sets them (select, fill, arrow keys); the numbers are
then read from window.gttExplorer and compared with snippets/explorer/explorer_reference.py.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction

import explorer_reference  # the demo: what the page runs
import pytest
from support import ROOT

from rnnbook import explorer as er

pytestmark = pytest.mark.browser

RELATIVE = 1e-9
EXTREMES = {
    # ‖∂L/∂h_1‖ near 1e-321: below the smallest normal double.
    "underflow": dict(activation="sigmoid", scale=0.1, hidden=64, steps=200, seed=0),
    # Every ReLU unit off at one step: the gradient before it is exactly zero.
    "dead ReLU": dict(activation="relu", scale=1.0, hidden=2, steps=200, seed=0),
    # Chaotic tanh: any difference in the last bit would grow until nothing agreed.
    "chaotic": dict(activation="tanh", scale=2.0, hidden=64, steps=200, seed=4294967295),
}
CONFIGURATIONS = {**explorer_reference.CONFIGURATIONS, **EXTREMES}

READ_WIDGET = """(index) => {
  const w = window.gttExplorer.widgets[index], r = w.result;
  const svg = w.root.querySelector(".gtt-ex__svg");
  return {
    state: Object.assign({}, w.state),
    grad_mantissa: Array.from(r.grad_mantissa), grad_exponent: Array.from(r.grad_exponent),
    bound_mantissa: Array.from(r.bound_mantissa), bound_exponent: Array.from(r.bound_exponent),
    grad_log10: Array.from(r.grad_log10), W: Array.from(r.W), h: Array.from(r.h),
    readout: w.root.querySelector(".gtt-ex__readout").innerText,
    python: (w.root.querySelector(".gtt-ex__python code") || {}).textContent || null,
    path: svg.querySelector(".gtt-ex__grad").getAttribute("d"),
    title: svg.querySelector("title").textContent,
    url: location.href,
  };
}"""


def open_page(browser, url: str, width: int = 1280, scheme: str = "light"):
    """A fresh context on ``url``; returns (context, page, problems) with console errors."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.goto(url, wait_until="networkidle")
    page.wait_for_function("window.gttExplorer && window.gttExplorer.widgets.length > 0")
    return context, page, problems


@pytest.fixture(scope="module")
def explorer(browser, site_url):
    context, page, problems = open_page(browser, f"{site_url}/explorer/")
    yield page
    assert not problems, problems
    context.close()


def set_controls(page, params: dict) -> None:
    """Set the full explorer's five controls through the UI, as a reader would."""
    widget = page.locator("#explorer")
    widget.get_by_label("Activation").select_option(params["activation"])
    widget.get_by_label("Recurrent scale").fill(repr(float(params["scale"])))
    widget.get_by_label("Hidden size").fill(str(params["hidden"]))
    widget.get_by_label("Sequence length").fill(str(params["steps"]))
    widget.get_by_label("Random seed").fill(str(params["seed"]))


def exact(mantissa: float, exponent: int) -> Fraction:
    """The exact value of mantissa·2^exponent. float() first: a double between 2^53 and 1e21
    reaches Python as an int written with JavaScript's shortest digits, not its exact value."""
    return Fraction(float(mantissa)) * Fraction(2) ** int(exponent)


def relative_errors(js: dict, py: dict, kind: str) -> list[float]:
    """|js − py| / |py| per time step, computed exactly from mantissa·2^exponent."""
    errors = []
    for jm, je, pm, pe in zip(
        js[f"{kind}_mantissa"],
        js[f"{kind}_exponent"],
        py[f"{kind}_mantissa"],
        py[f"{kind}_exponent"],
        strict=True,
    ):
        a, b = exact(jm, je), exact(pm, pe)
        errors.append(0.0 if a == b else float(abs(a - b) / abs(b)) if b else float("inf"))
    return errors


def sci_text(log10: float) -> str:
    """How the readout writes 10**log10 (innerText of "2.40 × 10<sup>−12</sup>")."""
    text = er.format_log10(log10)
    if text == "0":
        return "0"
    mantissa, exponent = text.split("e")
    exponent = int(exponent)
    return mantissa if exponent == 0 else f"{mantissa} × 10{exponent}".replace("-", "\u2212")


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u2009", " "))


@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_numbers_equal_the_python_reference(explorer, name, screenshots):
    params = CONFIGURATIONS[name]
    set_controls(explorer, params)
    js = explorer.evaluate(READ_WIDGET, 0)
    assert js["state"] == {**params, "scale": float(params["scale"])}
    py = er.run(**params)
    for kind in ("grad", "bound"):
        errors = relative_errors(js, py, kind)
        assert max(errors) <= RELATIVE, f"{name}: {kind} differs by {max(errors):.3g} relative"
    # Same matrix and same states, not only the same norms.
    assert [float(v) for v in js["W"]] == py["W"].ravel().tolist()
    assert [float(v) for v in js["h"]] == py["h"].ravel().tolist()
    # What the reader sees: the readout and the Python line carry the same numbers.
    first = py["grad_log10"][0]
    assert f"‖∂L/∂h1‖ {sci_text(first)}" in normalise(js["readout"])
    assert sci_text(py["bound_log10"][0]) in normalise(js["readout"])
    assert js["python"] == er.python_call(**params)
    if name == "dead ReLU":
        assert js["grad_log10"][0] == float("-inf")
        assert "exactly 0" in js["readout"]
    if name == "underflow":
        assert "below the smallest normal double" in js["readout"]
    explorer.locator("#explorer").screenshot(
        path=screenshots / f"explorer-widget-{name.replace(' ', '-')}.png"
    )


def test_bit_for_bit_agreement_summary(explorer, screenshots):
    """Not only within 1e-9: every norm of every configuration is the same double."""
    report = {}
    for name, params in CONFIGURATIONS.items():
        set_controls(explorer, params)
        js = explorer.evaluate(READ_WIDGET, 0)
        py = er.run(**params)
        worst = {k: max(relative_errors(js, py, k)) for k in ("grad", "bound")}
        report[name] = {"params": params, "bit_identical": not any(worst.values()), **worst}
    (screenshots / "explorer-agreement.json").write_text(json.dumps(report, indent=2))
    assert all(r["bit_identical"] for r in report.values()), report


def test_update_time_at_the_largest_setting(explorer, screenshots):
    """Measured and reported (build/screenshots/explorer-timing.json), not asserted."""
    set_controls(explorer, dict(activation="tanh", scale=1.1, hidden=64, steps=200, seed=3))
    timing = explorer.evaluate(
        """() => {
          const w = window.gttExplorer.widgets[0], el = w.controls.scale;
          const median = a => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
          const warm = [], cold = [], compute = [];
          for (let i = 0; i < 40; i++) {          // slider moves: W is scaled, not rebuilt
            el.value = i % 2 ? "1.10" : "1.11";
            const t0 = performance.now();
            el.dispatchEvent(new Event("input", {bubbles: true}));
            w.root.querySelector(".gtt-ex__svg").getBBox();  // force layout of the new plot
            warm.push(performance.now() - t0);
          }
          const seed = w.controls.seed;
          for (let i = 0; i < 10; i++) {          // new seed: Q is drawn and orthonormalised
            seed.value = String(100 + i);
            const t0 = performance.now();
            seed.dispatchEvent(new Event("input", {bubbles: true}));
            w.root.querySelector(".gtt-ex__svg").getBBox();
            cold.push(performance.now() - t0);
          }
          for (let i = 0; i < 40; i++) {
            const t0 = performance.now();
            window.gttExplorer.compute(Object.assign({}, w.state, {scale: i % 2 ? 1.1 : 1.11}));
            compute.push(performance.now() - t0);
          }
          return {hidden: w.state.hidden, steps: w.state.steps,
                  update_median_ms: median(warm), update_max_ms: Math.max(...warm),
                  new_seed_median_ms: median(cold), new_seed_max_ms: Math.max(...cold),
                  compute_median_ms: median(compute), compute_max_ms: Math.max(...compute)};
        }"""
    )
    timing["browser"] = explorer.context.browser.version
    (screenshots / "explorer-timing.json").write_text(json.dumps(timing, indent=2))
    print("explorer timing:", timing)
    assert timing["hidden"] == 64 and timing["steps"] == 200


def test_keyboard_tab_and_arrows_drive_the_explorer(browser, site_url):
    context, page, problems = open_page(browser, f"{site_url}/explorer/")
    try:
        widget = page.locator("#explorer")
        active = "() => document.activeElement.name || document.activeElement.tagName"
        widget.get_by_label("Activation").focus()
        page.keyboard.press("ArrowDown")  # tanh -> relu, on the closed select
        assert page.evaluate("window.gttExplorer.widgets[0].state.activation") == "relu"
        page.keyboard.press("ArrowUp")
        page.keyboard.press("Tab")
        assert page.evaluate(active) == "scale"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid", "keyboard focus must be visible"
        before = page.evaluate(READ_WIDGET, 0)
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        after = page.evaluate(READ_WIDGET, 0)
        assert after["state"]["scale"] == pytest.approx(1.03, abs=1e-12)
        assert widget.locator("output").first.inner_text() == "1.03"
        assert after["path"] != before["path"] and after["readout"] != before["readout"]
        py = er.run(**after["state"])
        assert max(relative_errors(after, py, "grad")) <= RELATIVE
        page.keyboard.press("Tab")
        assert page.evaluate(active) == "hidden"
        page.keyboard.press("End")
        page.keyboard.press("Tab")
        assert page.evaluate(active) == "steps"
        page.keyboard.press("End")
        page.keyboard.press("Tab")
        assert page.evaluate(active) == "seed"
        page.keyboard.press("ArrowUp")  # number input: seed 1 -> 2
        state = page.evaluate("window.gttExplorer.widgets[0].state")
        assert state == dict(activation="tanh", scale=1.03, hidden=64, steps=200, seed=2)
        live = widget.locator(".gtt-ex__readout")
        assert live.get_attribute("aria-live") == "polite"
        assert sci_text(er.run(**state)["grad_log10"][0]) in normalise(live.inner_text())
        # Every control has a label a screen reader announces.
        for name in ("Activation", "Recurrent scale", "Hidden size", "Sequence length", "Seed"):
            assert widget.get_by_label(name).count() == 1, name
        assert not problems, problems
    finally:
        context.close()


def test_state_round_trips_through_the_url(browser, site_url):
    params = dict(activation="sigmoid", scale=1.37, hidden=9, steps=150, seed=123456)
    context, page, problems = open_page(browser, f"{site_url}/explorer/")
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url)
        set_controls(page, params)
        query = "act=sigmoid&scale=1.37&hidden=9&steps=150&seed=123456"
        page.wait_for_function(f"location.search === '?{query}'")  # written 150 ms later
        link = f"{site_url}/explorer/?{query}#explorer"
        assert page.locator("#explorer .gtt-ex__link").get_attribute("href") == link
        page.get_by_role("button", name="Copy link").click()
        page.wait_for_function("document.querySelector('.gtt-ex__status').textContent !== ''")
        assert page.evaluate("navigator.clipboard.readText()") == link
        page.get_by_role("button", name="Copy Python call").click()
        page.wait_for_function("document.querySelector('.gtt-ex__status').textContent !== ''")
        assert page.evaluate("navigator.clipboard.readText()") == er.python_call(**params)
        original = page.evaluate(READ_WIDGET, 0)
        assert not problems, problems
    finally:
        context.close()

    context, page, problems = open_page(browser, link)
    try:
        restored = page.evaluate(READ_WIDGET, 0)
        assert restored["state"] == params
        assert page.locator("#explorer").get_by_label("Recurrent scale").input_value() == "1.37"
        assert page.locator("#explorer").get_by_label("Activation").input_value() == "sigmoid"
        for key in ("grad_mantissa", "grad_exponent", "readout", "path", "python"):
            assert restored[key] == original[key], key
        # The shared link scrolls the explorer into view.
        box = page.locator("#explorer").bounding_box()
        assert box and box["y"] < 900
        assert not problems, problems
    finally:
        context.close()


def test_lab_link_opens_the_lab_with_the_same_parameters(browser, site_url):
    """ "Open this configuration in the lab": the link reaches the lab, and the line to paste
    sets exactly the lab's parameters cell, name for name."""
    params = dict(activation="relu", scale=1.25, hidden=16, steps=80, seed=7)
    context, page, problems = open_page(browser, f"{site_url}/explorer/")
    try:
        set_controls(page, params)
        lab = page.locator("#explorer .gtt-ex__lab")
        page.wait_for_function(
            "document.querySelector('#explorer .gtt-ex__lab code').textContent.includes('relu')"
        )
        namespace: dict = {}
        exec(lab.locator("code").inner_text(), namespace)
        assert {name: namespace[name] for name in params} == params
        source = (ROOT / "docs" / "labs" / "vanishing.py").read_text(encoding="utf-8")
        cell = source.split('# %% tags=["parameters"]')[1].split("# %%")[0]
        assert set(re.findall(r"^(\w+) =", cell, re.M)) == set(params)
        lab.get_by_role("link").click()
        page.wait_for_load_state("networkidle")
        assert "/generated/labs/vanishing/" in page.url
        assert page.locator(".jupyter-wrapper").count() == 1
        assert not problems, problems
    finally:
        context.close()


def test_bad_url_values_fall_back_to_the_defaults(browser, site_url):
    context, page, problems = open_page(
        browser, f"{site_url}/explorer/?act=softmax&scale=9&hidden=2.5&steps=-1&seed=x"
    )
    try:
        state = page.evaluate("window.gttExplorer.widgets[0].state")
        assert state == page.evaluate("window.gttExplorer.defaults")
        message = page.evaluate(
            """() => { try { window.gttExplorer.compute({scale: 3}); return null; }
                       catch (e) { return e.message; } }"""
        )
        assert message and "scale must be a number in [0.1, 2]" in message
        assert not problems, problems
    finally:
        context.close()


def test_page_experiment_links_set_the_explorer(browser, site_url):
    context, page, problems = open_page(browser, f"{site_url}/explorer/")
    try:
        page.locator('article a[href^="?act=sigmoid&scale=2&"]').first.click()
        page.wait_for_load_state("networkidle")
        page.wait_for_function("window.gttExplorer && window.gttExplorer.widgets.length > 0")
        state = page.evaluate("window.gttExplorer.widgets[0].state")
        assert state == dict(activation="sigmoid", scale=2.0, hidden=32, steps=100, seed=1)
        assert not problems, problems
    finally:
        context.close()


def test_home_page_embed_is_compact_and_opens_the_full_explorer(browser, site_url, screenshots):
    context, page, problems = open_page(browser, f"{site_url}/")
    try:
        widget = page.locator(".gtt-explorer").first
        assert widget.get_by_label("Hidden size").count() == 0  # compact: two controls
        widget.get_by_label("Recurrent scale").fill("1.5")
        page.wait_for_timeout(400)
        assert page.evaluate("location.href") == f"{site_url}/"  # compact: address untouched
        js = page.evaluate(READ_WIDGET, 0)
        params = dict(activation="tanh", scale=1.5, hidden=32, steps=100, seed=1)
        assert max(relative_errors(js, er.run(**params), "grad")) <= RELATIVE
        widget.screenshot(path=screenshots / "explorer-home-embed.png")
        widget.get_by_role("link", name="Open the full explorer").click()
        page.wait_for_load_state("networkidle")
        page.wait_for_function("window.gttExplorer && window.gttExplorer.widgets.length > 0")
        assert page.evaluate("location.href").startswith(
            f"{site_url}/explorer/?act=tanh&scale=1.5&"
        )
        assert page.evaluate("window.gttExplorer.widgets[0].state") == params
        assert not problems, problems
    finally:
        context.close()


def luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(colour: str, background: str) -> float:
    """WCAG contrast of a CSS rgb()/rgba() colour drawn over an opaque background."""
    fg = [float(v) for v in re.findall(r"[\d.]+", colour)]
    bg = [float(v) for v in re.findall(r"[\d.]+", background)][:3]
    alpha = fg[3] if len(fg) == 4 else 1.0
    mixed = tuple(alpha * f + (1 - alpha) * b for f, b in zip(fg[:3], bg, strict=True))
    light, dark = sorted([luminance(mixed), luminance(tuple(bg))], reverse=True)
    return (light + 0.05) / (dark + 0.05)


COLOURS = """() => {
  const root = document.querySelector("#explorer"), css = e => getComputedStyle(e);
  let bg = css(root).backgroundColor;
  return {
    grad: css(root.querySelector(".gtt-ex__grad")).stroke,
    bound: css(root.querySelector(".gtt-ex__bound")).stroke,
    tick: css(root.querySelector(".gtt-ex__tick")).fill,
    label: css(root.querySelector(".gtt-ex__axis-label")).fill,
    text: css(root.querySelector(".gtt-ex__readout dd")).color,
    bg: bg,
  };
}"""


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_both_palettes_are_legible_and_fit_the_screen(browser, site_url, screenshots, width):
    context, page, problems = open_page(browser, f"{site_url}/explorer/", width)
    try:
        scheme = "() => document.body.getAttribute('data-md-color-scheme')"
        seen = {}
        for name in ("light", "dark"):
            if name == "dark":
                page.locator("label[title='Switch to dark mode']").first.click()
                assert page.evaluate(scheme) == "slate"
            colours = page.evaluate(COLOURS)
            seen[name] = colours
            for part in ("grad", "bound"):
                assert contrast(colours[part], colours["bg"]) >= 3, (name, part, colours)
            for part in ("tick", "label", "text"):
                assert contrast(colours[part], colours["bg"]) >= 4.5, (name, part, colours)
            box = page.locator("#explorer").bounding_box()
            svg = page.locator("#explorer .gtt-ex__svg").bounding_box()
            widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], f"page scrolls sideways: {widths}"
            assert box["x"] >= 0 and box["x"] + box["width"] <= widths[1] + 1
            assert svg["x"] + svg["width"] <= box["x"] + box["width"] + 1
            page.locator("#explorer").screenshot(
                path=screenshots / f"explorer-{name}-{'phone' if width < 600 else 'desktop'}.png"
            )
        # The colours come from the palette: the dark scheme switches every one of them.
        for part in ("grad", "bound", "tick", "label", "text", "bg"):
            assert seen["light"][part] != seen["dark"][part], part
        assert seen["light"]["grad"] == "rgb(0, 114, 178)"  # Okabe–Ito blue
        assert seen["dark"]["grad"] == "rgb(86, 180, 233)"  # Okabe–Ito sky blue
        assert not problems, problems
    finally:
        context.close()
