"""Rebuild raqqa_records.json: hand-coded records for the Raqqa example, offsets computed.

The values are what a careful analyst reads in the reports (who claims which figure,
which places and actors are named). Publication dates are those the reports imply
(the breach on Tuesday 4 July 2017; Jones and Dillon's briefing the following Sunday);
000 and 004 carry no usable date and stay unknown, as ingest would leave them.
Run: .venv/bin/python tests/data/stories/build_records.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parents[2] / "examples" / "raqqa-2017"

META = {
    "000": ("AFP", None, "AFP"), "001": ("AFP", "2017-07-04", "AFP"),
    "002": ("Gulf daily", "2017-07-09", None), "003": ("Middle East Eye", "2017-07-04", None),
    "004": ("Sputnik", None, None),
}
PLACES = [  # (pattern, name, cc, lat, lon, geonameid, feature)
    (r"Raqq?a", "Ar Raqqah", "SY", 35.95283, 39.00788, 163915, "city"),
    (r"Mosul", "Mosul", "IQ", 36.335, 43.11889, 99072, "city"),
    (r"Deir E?z-?Zor|Deir Ezzor", "Deir ez-Zor", "SY", 35.33588, 40.14084, 170794, "city"),
    (r"Syria(?!n)", "Syria", "SY", 35.0, 38.0, 163843, "country"),
    (r"Iraq(?!i)", "Iraq", "IQ", 33.0, 44.0, 99237, "country"),
]
ACTORS = [  # (pattern, actor_id, name, kind)
    (r"Islamic State(?: \(IS\))?(?: group)?|Daesh|ISIS|\bIS\b|jihadists", "islamic-state",
     "Islamic State", "Rebel group"),
    (r"Syrian Democratic Forces|\bSDF\b", "sdf", "Syrian Democratic Forces", "Rebel group"),
    (r"US-led coalition|U\.S\.-led coalition|US Central Command|\bcoalition\b",
     "us-led-coalition", "US-led coalition", "External/Other forces"),
]
CLAIMS = [  # (article, number text, sentence start text, counted, subject, scope, claimant,
    #        claimant_text, value, low, high, qualifier, category)
    ("001", "2,500", "The coalition estimates", "fighters", "IS in Raqqa", None,
     "US-led coalition", "The coalition", 2500, None, None, "around", "force"),
    ("003", "2,500", "According to the coalition, some", "fighters", "IS in Raqqa", None,
     "US-led coalition", "the coalition", 2500, None, None, "some", "force"),
    ("002", "2,000", "U.S. Army Col. Ryan Dillon", "fighters", "Daesh in the northern city", None,
     "Ryan Dillon", "U.S. Army Col. Ryan Dillon", 2000, None, None, "around", "force"),
    ("002", "603", "According to the coalition, 603", "civilians killed", "in U.S.-led strikes",
     "since 2014", "US-led coalition", "the coalition", 603, None, None, None, "casualties"),
    ("002", "744", "But Airwars", "civilians killed", "in coalition strikes",
     "in the month of June alone", "Airwars", "Airwars", 744, None, None, None, "casualties"),
    ("001", "tens of thousands", "The United Nations has raised", "civilians trapped",
     "in Raqqa", None, "United Nations", "The United Nations", None, 20000, 90000, None,
     "displacement"),
    ("003", "100,000", "The United Nations warn", "civilians trapped", "in the city", None,
     "United Nations", "The United Nations", 100000, None, None, "up to", "displacement"),
    ("001", "200 or so", "That is far more", "fighters", "IS in Mosul", None,
     "Iraqi commanders", "Iraqi commanders", 200, None, None, "or so", "force"),
    ("003", "a few hundred", "The Iraqi military believes", "fighters", "IS in Mosul", None,
     "Iraqi military", "The Iraqi military", None, 200, 900, None, "force"),
]
INCIDENTS = [  # (article, id, evidence sentence start, date, precision, type, sub, a1, a2)
    ("001", "inc-001-a", "Air strikes by the US-led coalition", "2017-07-04", "day",
     "Explosions/Remote violence", "Air/drone strike", "us-led-coalition", "islamic-state"),
    ("003", "inc-003-a", "The US Central Command said in a statement", "2017-07-04", "day",
     "Explosions/Remote violence", "Air/drone strike", "us-led-coalition", "islamic-state"),
    ("001", "inc-001-b", "The Syrian Observatory for Human Rights said US-backed forces",
     "2017-07-04", "day", "Battles", "Armed clash", "sdf", "islamic-state"),
]
NAMES = {a[1]: a[2] for a in ACTORS}


def _sentence(text: str, head: str, after: str = "") -> tuple[int, int]:
    """The sentence starting at `head`, running past `after` (abbreviations like "Col.")."""
    start = text.index(head)
    skip = text.index(after, start) + len(after) if after else start + len(head)
    end = re.compile(r"[.!?](?=[\s\"”]|$)").search(text, skip).end()
    return start, end


def main() -> None:
    records = []
    for path in sorted(EXAMPLE.glob("*.txt")):
        key = path.name[:3]
        text = path.read_text(encoding="utf-8")
        outlet, published, wire = META[key]
        title = next(line.strip() for line in text.splitlines() if len(line.strip()) > 20)
        aid = path.stem
        places = [{
            "article_id": aid, "text": m.group(), "start": m.start(), "end": m.end(), "name": n,
            "country_code": cc, "lat": lat, "lon": lon, "geonameid": gid, "feature": feat,
        } for pat, n, cc, lat, lon, gid, feat in PLACES for m in re.finditer(pat, text)]
        actors = [{
            "article_id": aid, "text": m.group(), "start": m.start(), "end": m.end(),
            "actor_id": act, "name": name, "kind": kind,
        } for pat, act, name, kind in ACTORS for m in re.finditer(pat, text)]
        claims = []
        for i, c in enumerate(x for x in CLAIMS if x[0] == key):
            _, num, head, counted, subject, scope, claimant, ctext, v, lo, hi, q, cat = c
            s0, s1 = _sentence(text, head, num)
            n0 = text.index(num, s0)
            claims.append({
                "id": f"{aid}-c{i}", "article_id": aid, "sentence": text[s0:s1], "value": v,
                "low": lo, "high": hi, "counted": counted, "subject": subject, "scope": scope,
                "claimant": claimant, "claimant_text": ctext, "start": n0, "end": n0 + len(num),
                "sentence_start": s0, "sentence_end": s1, "number_text": num, "qualifier": q,
                "category": cat,
                "claimant_id": "us-led-coalition" if claimant == "US-led coalition" else None,
            })
        incidents = []
        for art, iid, head, d, prec, etype, sub, a1, a2 in INCIDENTS:
            if art != key:
                continue
            s0, s1 = _sentence(text, head)
            incidents.append({
                "id": iid, "event_date": d, "date_precision": prec, "event_type": etype,
                "sub_event_type": sub, "actor1": NAMES[a1], "actor2": NAMES[a2],
                "location": "Ar Raqqah", "country_code": "SY", "lat": 35.95283, "lon": 39.00788,
                "fatalities": None, "article_ids": [aid], "outlets": [outlet], "notes": "",
                "geonameid": 163915, "actor1_id": a1, "actor2_id": a2,
                "evidence": [{"start": s0, "end": s1, "text": text[s0:s1]}],
            })
        records.append({
            "article": {"id": aid, "source": f"examples/raqqa-2017/{path.name}", "text": text,
                        "title": title, "outlet": outlet, "published": published, "wire": wire,
                        "language": "en"},
            "places": places, "actors": actors, "claims": claims, "incidents": incidents,
        })
    out = HERE / "raqqa_records.json"
    out.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
