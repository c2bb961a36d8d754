"""Geoparsing benchmark on GeoWebNews and LGL (Gritta et al.): resolution and recognition.

(a) geocoding with gold place names: each article's gold spans go through the same
    `resolve_mentions` that `extract_places` uses; accuracy within 161 km and exact GeoNames
    id match (LGL gives ids; GeoWebNews' resolution gold gives coordinates only).
(b) end to end: `extract_places` on the article text; a predicted place is correct when
    its span overlaps a gold toponym and its point lies within 161 km of the gold point.
(c) speed: gazetteer start-up, places resolved per second, peak memory.

Usage: .venv/bin/python bench/geoparsing.py [CORPUS_FILE] [--format lgl|gwn] [--no-e2e]
       [--limit N]  (end to end on the first N articles of each corpus only)
       [--no-home]  (without the articles' web addresses: no outlet home town)
With no file, both shared corpora are scored.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsdesk.analyse.gazetteer import Gazetteer, distance_km
from newsdesk.analyse.geocode import (
    extract_places,
    outlet_country,
    outlet_towns,
    resolve_mentions,
)
from newsdesk.models import Article

BASE = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "geoparsing_gritta"
KM = 161.0


def load_lgl(path: Path) -> list[tuple[str, list[dict], str | None]]:
    docs = []
    for art in ET.parse(path).getroot().iter("article"):
        text = art.findtext("text") or ""
        gold = []
        for t in art.iter("toponym"):
            g = t.find("gaztag")
            if g is None or g.findtext("lat") is None:
                continue
            gold.append({"start": int(t.findtext("start")), "end": int(t.findtext("end")),
                         "lat": float(g.findtext("lat")), "lon": float(g.findtext("lon")),
                         "id": int(g.get("geonameid"))})
        docs.append((text, gold, art.findtext("url")))
    return docs


def load_gwn(path: Path) -> list[tuple[str, list[dict], str | None]]:
    """GWN.xml texts with the resolution gold of `gwn_full_geocoding_gold.txt` beside it.

    The resolution file is one line per article in GWN.xml order; it holds the toponyms
    with coordinates (demonyms included, as GeoWebNews annotates them as places).
    """
    arts = list(ET.parse(path).getroot().iter("article"))
    lines = (path.parent / "gwn_full_geocoding_gold.txt").read_text("utf-8").splitlines()
    docs = []
    for art, line in zip(arts, lines, strict=True):
        text = art.findtext("text") or ""
        gold = []
        for rec in filter(None, line.split("||")):
            _, _, lat, lon, start, end = rec.split(",,")
            gold.append({"start": int(start), "end": int(end), "lat": float(lat),
                         "lon": float(lon), "id": None})
        docs.append((text, gold, art.findtext("link")))
    return docs


def score_resolution(docs: list[tuple[str, list[dict], str | None]], gaz: Gazetteer,
                     home: bool = True) -> dict[str, float]:
    """`home`: pass each article's web address, for its outlet's home town."""
    n = hit = exact = with_id = unresolved = 0
    t0 = time.perf_counter()
    for text, gold, url in docs:
        spans = [(g["start"], g["end"]) for g in gold]
        cc = [c for c in [outlet_country(url)] if c and home]
        towns = outlet_towns(gaz, None, url, cc[0] if cc else None) if home else []
        for g, r in zip(gold, resolve_mentions(text, spans, gaz, extra_countries=cc,
                                               home=towns), strict=True):
            n += 1
            if r is None:
                unresolved += 1
                continue
            if distance_km(g["lat"], g["lon"], r.place.lat, r.place.lon) <= KM:
                hit += 1
            if g["id"] is not None:
                with_id += 1
                exact += r.place.geonameid == g["id"] and r.precision != "parent"
    secs = time.perf_counter() - t0
    return {"toponyms": n, "acc@161km": hit / n, "exact_id": exact / with_id if with_id else
            float("nan"), "unresolved": unresolved / n, "places_per_s": n / secs}


def score_end_to_end(docs: list[tuple[str, list[dict], str | None]], gaz: Gazetteer,
                     home: bool = True) -> dict[str, float]:
    from newsdesk.analyse.nlp import load_nlp

    nlp = load_nlp()
    tp_pred = n_pred = tp_gold = n_gold = 0
    t0 = time.perf_counter()
    parsed = nlp.pipe((text for text, _, _ in docs), batch_size=32)
    for i, ((text, gold, url), doc) in enumerate(zip(docs, parsed, strict=True)):
        article = Article(id=str(i), source="bench", text=text, url=url if home else None)
        pred = [m for m in extract_places(doc, article, gaz) if m.lat is not None]
        n_pred += len(pred)
        n_gold += len(gold)

        def ok(m, g) -> bool:
            return m.start < g["end"] and g["start"] < m.end and \
                distance_km(m.lat, m.lon, g["lat"], g["lon"]) <= KM
        tp_pred += sum(any(ok(m, g) for g in gold) for m in pred)
        tp_gold += sum(any(ok(m, g) for m in pred) for g in gold)
    p = tp_pred / n_pred if n_pred else 0.0
    r = tp_gold / n_gold if n_gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "predicted": n_pred, "gold": n_gold,
            "articles_per_s": len(docs) / (time.perf_counter() - t0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path)
    ap.add_argument("--format", choices=["lgl", "gwn"])
    ap.add_argument("--no-e2e", action="store_true", help="skip end-to-end (needs spaCy)")
    ap.add_argument("--limit", type=int, help="end to end on the first N articles only")
    ap.add_argument("--no-home", action="store_true",
                    help="do not pass the articles' web addresses (no outlet home town)")
    args = ap.parse_args()

    if args.corpus:
        fmt = args.format or ("gwn" if "gwn" in args.corpus.name.lower() else "lgl")
        sets = [(fmt, args.corpus)]
    else:
        sets = [("gwn", BASE / "GWN.xml"), ("lgl", BASE / "Corpora" / "lgl.xml")]

    t0 = time.perf_counter()
    gaz = Gazetteer.open()
    print(f"gazetteer open: {time.perf_counter() - t0:.3f} s, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    for fmt, path in sets:
        docs = (load_gwn if fmt == "gwn" else load_lgl)(path)
        res = score_resolution(docs, gaz, not args.no_home)
        print(f"[{fmt}] gold names: " + ", ".join(
            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in res.items()))
        if not args.no_e2e:
            e2e = score_end_to_end(docs[:args.limit], gaz, not args.no_home)
            print(f"[{fmt}] end to end ({len(docs[:args.limit])} articles): " + ", ".join(
                f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in e2e.items()))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
