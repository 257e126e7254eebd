"""Every page as a reader sees it in Chromium: math visible, images loaded, nothing external."""

from __future__ import annotations

import os
import re

import pytest
from support import site_pages

pytestmark = pytest.mark.browser

PAGES = site_pages()
# Full-page screenshots of every page at both widths, for a person to look through
# (build/screenshots/): GTT_SCREENSHOTS=1 make test. Off by default: they cost about a
# half a second each (27 s for the 54 of them, measured) and check nothing.
FULL_PAGE_SHOTS = os.environ.get("GTT_SCREENSHOTS") == "1"
RAW_MATH = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\frac|\\mathrm|\\operatorname")

# Visible text of the article with code removed (code may legitimately show backslashes).
VISIBLE_TEXT = """() => {
  const article = document.querySelector("article") || document.body;
  const copy = article.cloneNode(true);
  copy.querySelectorAll("pre, code, script, style, .katex-mathml").forEach(e => e.remove());
  return copy.innerText;
}"""

MATH_REPORT = """() => {
  const bad = [];
  const formulas = Array.from(document.querySelectorAll(".arithmatex"));
  for (const f of formulas) {
    const html = f.querySelector(".katex-html");
    const box = html && html.getBoundingClientRect();
    if (!html || box.width <= 0 || box.height <= 0) bad.push(f.textContent.slice(0, 60));
  }
  return {
    count: formulas.length,
    invisible: bad,
    errors: Array.from(document.querySelectorAll(".katex-error")).map(e => e.title || e.textContent),
    notebookMath: document.querySelectorAll(".jupyter-wrapper .katex").length,
    fontReady: document.fonts.check("16px KaTeX_Main") && document.fonts.check("16px KaTeX_Math"),
  };
}"""

IMAGE_REPORT = """() => Array.from(document.querySelectorAll("article img")).map(img => ({
  src: img.getAttribute("src"),
  loaded: img.complete && img.naturalWidth > 0,
  alt: (img.getAttribute("alt") || "").trim(),
  caption: img.closest("figure")?.querySelector("figcaption")?.innerText.trim() || "",
  notebook: !!img.closest(".jupyter-wrapper"),
}))"""


def visit(browser, url: str, width: int, scheme: str = "light"):
    """Open ``url`` at ``width`` px; return the page and what it requested and logged."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    record = {"requests": [], "failed": [], "console": []}
    page.on("request", lambda r: record["requests"].append(r.url))
    page.on("requestfailed", lambda r: record["failed"].append(r.url))
    page.on(
        "response",
        lambda r: r.status >= 400 and record["failed"].append(f"{r.status} {r.url}"),
    )
    page.on("console", lambda m: m.type == "error" and record["console"].append(m.text))
    page.on("pageerror", lambda e: record["console"].append(str(e)))
    page.goto(url, wait_until="networkidle")
    page.evaluate("document.fonts.ready")
    return context, page, record


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p or "home")
def test_page_renders_for_a_reader(browser, site_url, screenshots, path):
    context, page, record = visit(browser, f"{site_url}/{path}", 1280)
    try:
        math = page.evaluate(MATH_REPORT)
        assert not math["errors"], f"KaTeX could not render: {math['errors']}"
        assert not math["invisible"], f"formulas present but not visible: {math['invisible']}"
        if math["count"] or math["notebookMath"]:
            assert math["fontReady"], "KaTeX fonts did not load"
        raw = RAW_MATH.findall(page.evaluate(VISIBLE_TEXT))
        assert not raw, f"raw TeX left in the visible text: {sorted(set(raw))}"

        for image in page.evaluate(IMAGE_REPORT):
            assert image["loaded"], f"image did not load: {image['src']}"
            assert image["alt"], f"image without alt text: {image['src']}"
            if not image["notebook"]:
                assert image["caption"], f"figure without a caption: {image['src']}"

        outside = [u for u in record["requests"] if not u.startswith((site_url, "data:", "blob:"))]
        assert not outside, f"requests leaving 127.0.0.1: {outside}"
        assert not record["failed"], f"failed requests: {record['failed']}"
        assert not record["console"], f"console errors: {record['console']}"
        if FULL_PAGE_SHOTS:
            name = path.strip("/").replace("/", "-") or "home"
            page.screenshot(path=screenshots / f"{name}-desktop.png", full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p or "home")
def test_layout_holds_at_phone_width(browser, site_url, screenshots, path):
    context, page, _ = visit(browser, f"{site_url}/{path}", 390)
    try:
        widths = page.evaluate(
            "() => ({page: document.documentElement.scrollWidth, view: window.innerWidth})"
        )
        assert widths["page"] <= widths["view"], f"page scrolls sideways at 390 px: {widths}"
        # Wide code blocks, formulas and tables may be wider than the screen only inside a
        # box that scrolls sideways by itself and fits on the screen.
        spill = page.evaluate(
            """() => {
              const fits = e => e.getBoundingClientRect().right <= window.innerWidth + 1;
              const scrolls = e => ["auto", "scroll"].includes(getComputedStyle(e).overflowX);
              return Array.from(document.querySelectorAll("pre, .katex-display, table"))
                .filter(e => !fits(e))
                .filter(e => {
                  for (let a = e; a && a !== document.body; a = a.parentElement) {
                    if (scrolls(a) && fits(a)) return false;
                  }
                  return true;
                })
                .map(e => e.tagName + " " + e.textContent.slice(0, 40));
            }"""
        )
        assert not spill, f"elements wider than the phone screen: {spill}"
        if FULL_PAGE_SHOTS:
            name = path.strip("/").replace("/", "-") or "home"
            page.screenshot(path=screenshots / f"{name}-phone.png", full_page=True)
    finally:
        context.close()


def test_dark_mode_toggle_and_figures_stay_legible(browser, site_url):
    context, page, _ = visit(browser, f"{site_url}/first-look/", 1280)
    try:
        scheme = "() => document.body.getAttribute('data-md-color-scheme')"
        assert page.evaluate(scheme) == "default"
        page.locator("label[title='Switch to dark mode']").first.click()
        assert page.evaluate(scheme) == "slate"
        backgrounds = page.evaluate(
            """() => Array.from(document.querySelectorAll("article figure img"))
                .map(img => getComputedStyle(img).backgroundColor)"""
        )
        assert backgrounds, "no figures to check"
        assert set(backgrounds) == {"rgb(255, 255, 255)"}, backgrounds
        page.locator("label[title='Switch to light mode']").first.click()
        assert page.evaluate(scheme) == "default"
    finally:
        context.close()


SEARCHES = [
    ("spectral radius", "first-look/"),
    ("norm_decay", "first-look/"),
    ("truncated BPTT", "fixes/"),
    ("clip_grad_norm_", "fixes/"),
]


@pytest.mark.parametrize(("query", "expected"), SEARCHES)
def test_search_finds_the_page(browser, site_url, query, expected):
    context, page, _ = visit(browser, f"{site_url}/", 1280)
    try:
        page.keyboard.press("/")  # Material's keyboard shortcut focuses the search box
        page.locator("input.md-search__input").press_sequentially(query, delay=20)
        results = page.locator(".md-search-result__item a")
        results.first.wait_for(timeout=10_000)
        hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
        assert any(expected in (h or "") for h in hrefs), f"{query!r} found {hrefs}"
    finally:
        context.close()
