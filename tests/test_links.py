"""Links, anchors and headings in the built HTML (no network: external links by syntax only)."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup


def content_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("index.html") if p.parent.name not in {"assets", "search"})


@functools.cache
def parsed(page: Path) -> BeautifulSoup:
    """Each built page parsed once for all the tests here (read-only use)."""
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


def article(page: Path) -> BeautifulSoup:
    soup = parsed(page)
    return soup.find("article") or soup


def target_file(site: Path, page: Path, path: str) -> Path:
    base = site if path.startswith("/") else page.parent
    target = (base / unquote(path.lstrip("/"))).resolve()
    return target / "index.html" if target.is_dir() else target


@functools.cache
def anchors(page: Path) -> frozenset[str]:
    soup = parsed(page)
    return frozenset(tag["id"] for tag in soup.find_all(id=True))


def test_internal_links_and_anchors_resolve(built_site):
    broken = []
    for page in content_pages(built_site):
        soup = parsed(page)
        for tag in soup.find_all(["a", "img", "link", "script"]):
            ref = tag.get("href") or tag.get("src")
            if not ref or ref.startswith(("mailto:", "data:", "javascript:")):
                continue
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc:
                continue
            target = target_file(built_site, page, parts.path) if parts.path else page
            if not target.exists():
                broken.append(f"{page.relative_to(built_site)}: {ref} (no file)")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in anchors(target):
                broken.append(f"{page.relative_to(built_site)}: {ref} (no anchor)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_external_links_are_well_formed(built_site):
    bad = []
    for page in content_pages(built_site):
        for tag in article(page).find_all("a", href=True):
            parts = urlsplit(tag["href"])
            web = parts.scheme in {"http", "https"}
            malformed = web and (not parts.netloc or " " in tag["href"])
            if malformed or (parts.scheme and not web and parts.scheme != "mailto"):
                bad.append(f"{page.relative_to(built_site)}: {tag['href']}")
    assert not bad, bad


def test_headings_are_in_order(built_site):
    """One h1 per page, and no level skipped on the way down (h2 -> h4 is a skip)."""
    problems = []
    for page in content_pages(built_site):
        levels = [
            int(h.name[1]) for h in article(page).find_all(["h1", "h2", "h3", "h4", "h5", "h6"])
        ]
        if levels.count(1) != 1 or (levels and levels[0] != 1):
            problems.append(f"{page.relative_to(built_site)}: h1 count/order {levels}")
        for before, after in itertools.pairwise(levels):
            if after > before + 1:
                problems.append(f"{page.relative_to(built_site)}: h{before} -> h{after}")
    assert not problems, problems


def test_every_figure_image_has_alt_text_and_caption(built_site):
    missing = []
    for page in content_pages(built_site):
        for img in article(page).find_all("img"):
            if img.find_parent(class_="jupyter-wrapper"):
                continue
            figure = img.find_parent("figure")
            caption = figure.find("figcaption") if figure else None
            if (
                not (img.get("alt") or "").strip()
                or not caption
                or not caption.get_text(strip=True)
            ):
                missing.append(f"{page.relative_to(built_site)}: {img.get('src')}")
    assert not missing, missing
