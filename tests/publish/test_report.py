"""report.html: self-contained, escaped, and rendering story, map and claims in a browser."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from raqqa import load_records

from newsdesk.link import stories
from newsdesk.models import ArticleRecords
from newsdesk.publish.report import write_report

CHROMIUM = Path("/usr/bin/chromium")
EVIL = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'


@pytest.fixture
def report(tmp_path, data_dir) -> Path:
    records = load_records(data_dir)
    first = records[1]
    evil_article = dataclasses.replace(first.article, title=EVIL)
    records[1] = ArticleRecords(article=evil_article, places=first.places, actors=first.actors,
                                claims=first.claims, incidents=first.incidents)
    for c in records[1].claims:
        c.claimant = EVIL
    result = stories.link(records)
    return write_report(tmp_path / "report.html", stories=result.stories, records=records,
                        incidents=[i.to_dict() for i in result.incidents])


def test_report_is_self_contained_and_escaped(report):
    html = report.read_text("utf-8")
    assert "<script" not in html.lower()
    assert "onerror=" not in html.replace("onerror=&#34;", "").replace("onerror=&quot;", "")
    assert "&lt;script&gt;" in html
    for remote in ("http://", "https://"):
        # only the attribution links point outside; nothing is loaded from the network
        for line in html.splitlines():
            if remote in line:
                assert "<a href" in line, line
    assert "GeoNames" in html and "CC BY 4.0" in html
    assert "<svg" in html and 'class="incident"' in html and 'class="land"' in html


def test_report_map_is_framed_on_the_incidents_over_natural_earth(report):
    html = report.read_text("utf-8")
    svg = html[html.index("<svg"):html.index("</svg>")]
    labels = {t: k for k, t in re.findall(r'<text class="(\w+)"[^>]*>([^<]*)<', svg)}
    # the incidents are in Raqqa: the towns around it are named, the Euphrates and the
    # borders drawn; Mosul, which a report names 400 km away, does not pull the frame east
    assert labels.get("Ar Raqqah") == "place" and labels.get("Deir ez-Zor") == "place"
    assert {"Aleppo", "Manbij", "Al-Hasakah"} <= {t for t, k in labels.items() if k == "town"}
    assert "Mosul" not in labels
    for layer in ("rivers", "lakes", "admin0"):
        assert f'<path class="{layer}"' in svg, layer
    width, height = map(float, re.search(r'viewBox="0 0 (\S+) (\S+)"', svg).groups())
    x, y = map(float, re.search(r'<circle class="incident" cx="(\S+)" cy="(\S+)"', svg).groups())
    assert 0.3 < x / width < 0.7 and 0.3 < y / height < 0.7


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_report_opens_in_headless_browser_offline(report):
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())
            # the founding article's hostile title is shown as text, never run
            assert page.locator("section.story h2").first.inner_text() == EVIL
            assert "US-backed forces breach wall" in page.locator("body").inner_text()
            assert page.locator("#incident-map circle.incident").count() >= 1
            assert page.locator("#incident-map path.land").count() >= 3
            box = page.locator("#incident-map").bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
            page.locator("details.claims summary").first.click()  # collapsed until asked
            claims = page.locator("table.claims").first.inner_text()
            assert "contested" in claims and "2,000" in claims and "since 2014" in claims
            assert page.evaluate("window.pwned") is None
        finally:
            browser.close()
    assert all(u.startswith(("file://", "data:")) for u in requests), requests


def test_publish_templates_are_compiled_once_for_every_process(monkeypatch):
    """A new process (a fresh environment) takes the compiled templates from Jinja2's
    bytecode cache instead of compiling them again (0.06 CPU s of each start)."""
    import jinja2

    from newsdesk.publish.brief import environment

    for name in ("report.html.j2", "brief.html.j2"):
        environment.__wrapped__().get_template(name)

    def compile_again(*args, **kwargs):
        raise AssertionError("compiled again")

    monkeypatch.setattr(jinja2.Environment, "compile", compile_again)
    for name in ("report.html.j2", "brief.html.j2"):
        assert environment.__wrapped__().get_template(name).render


def test_publish_templates_render_when_their_cache_fails(monkeypatch):
    """A bytecode cache that cannot be made, read or written only costs compiling."""
    import errno

    import jinja2

    from newsdesk.publish.brief import environment

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "load_bytecode", full)
    monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "dump_bytecode", full)
    assert environment.__wrapped__().get_template("report.html.j2").render

    def unsafe(self):
        raise RuntimeError("Cannot determine safe temp directory.")

    monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "_get_default_cache_dir", unsafe)
    env = environment.__wrapped__()
    assert env.bytecode_cache is None and env.get_template("brief.html.j2").render


def test_map_path_digits_are_the_tenth_then_the_whole_pixel():
    """The path's shortcut prints what rounding to a tenth and then to a whole pixel
    prints, the double rounding included (1.46 is drawn at 2, through 1.5)."""
    import random

    import numpy as np

    from newsdesk.publish.report import _digits

    few = [1.46, 1.44, 2.5, 2.55, 3.96, -0.02, -0.3, -1.46, -0.0, 0.0, 0.3, -0.6]
    assert _digits(np.array(few)) == [
        "2", "1", "2", "2", "4", "-0", "-0", "-2", "-0", "0", "0", "-1"]
    rng = random.Random(15)
    values = [k / 20 + d for k in range(-4000, 4000) for d in (0.0, 1e-12, -1e-12, 5e-17)]
    values += [rng.uniform(-900.0, 1800.0) for _ in range(20_000)]
    values += [round(rng.uniform(-900.0, 1800.0), 2) for _ in range(20_000)]
    assert _digits(np.array(values)) == [f"{round(v, 1):.0f}" for v in values]


@pytest.mark.parametrize("frame", [(33.0, 31.0, 43.0, 40.0), (-180.0, -60.0, 180.0, 85.0),
                                   (2.0, 49.0, 9.0, 55.0), (-77.0, 38.0, -71.0, 44.0)])
def test_map_paths_are_those_of_the_point_by_point_projection(frame, monkeypatch):
    """The map's paths, drawn from each feature's arrays, are those of testing, projecting
    and formatting its points one at a time (Syria, the world, the Dutch coast's lines cut
    at the frame, New York's rivers)."""
    import itertools

    from newsdesk.publish import basemap, report

    west, south, east, north = frame
    scale = report._MAP_WIDTH / (east - west)

    def inside(lon, lat, pad):
        return west - pad <= lon <= east + pad and south - pad <= lat <= north + pad

    def one(v):
        return f"{round(v, 1):.0f}"

    def path(lines, close):
        if close:
            runs = [line for line in lines if any(inside(x, y, 1) for x, y in line)]
        else:
            runs = []
            for line in lines:
                flags = [inside(x, y, 0.2) for x, y in line]
                run = []
                for n, point in enumerate(line):
                    if any(flags[max(n - 1, 0) : n + 2]):
                        run.append(point)
                    elif run:
                        runs.append(run)
                        run = []
                runs.append(run)
        return "".join("M" + "L".join(f"{one((x - west) * scale)},{one((north - y) * scale)}"
                                      for x, y in r) + ("Z" if close else "")
                       for r in runs if len(r) > 1)

    def lines(layer, i):
        points, _, edges = layer.gather([i])
        return [points[a:b].tolist() for a, b in itertools.pairwise(edges)]

    base = basemap.load()
    drawn = report._map([{"kind": "incident", "lon": west + 2.0, "lat": south + 2.0},
                         {"kind": "incident", "lon": east - 2.0, "lat": north - 2.0}])
    assert drawn["layers"]["coast"] or drawn["layers"]["rivers"]
    shapes = base.layers["countries"]
    want = [d for i in shapes.near(west - 1, south - 1, east + 1, north + 1)
            if (d := path(lines(shapes, i), close=True))]
    assert [c["d"] for c in drawn["countries"]] == want
    for name in basemap.LAYERS:
        pad = 1 if name == "lakes" else 0.2
        layer = base.layers[name]
        want = [d for i in layer.near(west - pad, south - pad, east + pad, north + pad)
                if (d := path(lines(layer, i), close=name == "lakes"))]
        assert drawn["layers"][name] == want, name
