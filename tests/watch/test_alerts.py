"""Alert rules and their delivery, on the store the real pipeline wrote from the Raqqa reports.

The example holds three incidents, all in Ar Raqqah (Syria): a coalition air strike on IS,
an armed clash of the Syrian Elite Forces with IS, and an IS mine/IED attack; and one
story across five reports whose IS fighter figures (2,500 vs 2,000) are contested.
Deliveries go to servers the tests start on 127.0.0.1: a webhook receiver that fails
once, and aiosmtpd.
"""

from __future__ import annotations

import io
import json
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.errors import ConfigError
from newsdesk.store import Store
from newsdesk.watch.alerts import AlertRule, evaluate, parse_alerts, parse_smtp, run_alerts
from newsdesk.watch.deliver import SmtpSettings, deliveries

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
DESK = "http://desk.example:8765"


@pytest.fixture
def db(raqqa_copy: Path) -> Path:
    return raqqa_copy


def rules_of(tmp_path: Path, *tables: dict[str, Any], smtp: SmtpSettings | None = None
             ) -> list[AlertRule]:
    return parse_alerts(list(tables), path=tmp_path / "watch.toml", smtp=smtp)


def rule(tmp_path: Path, **criteria: Any) -> AlertRule:
    return rules_of(tmp_path, {"name": "r", "deliver": ["desk"], **criteria})[0]


def matched(db: Path, r: AlertRule) -> set[str]:
    with Store.open(db) as store:
        return {a.subject_id for a in evaluate(store, [r], desk_url=DESK)}


# -- parsing ------------------------------------------------------------------------------


def test_parse_the_issue_example(tmp_path: Path) -> None:
    (r,) = rules_of(tmp_path, {"name": "Raqqa", "place": "Raqqa", "radius_km": 50,
                               "deliver": ["jsonl:alerts.jsonl"]})
    assert r.deliver == (f"jsonl:{(tmp_path / 'alerts.jsonl').resolve()}",)
    assert r.radius_km == 50.0
    lat, lon = r.center
    assert abs(lat - 35.95) < 0.1 and abs(lon - 39.01) < 0.1  # the city of Ar Raqqah


def test_parse_resolves_names(tmp_path: Path) -> None:
    assert rule(tmp_path, country="Syria").country == "SY"
    assert rule(tmp_path, country="sy").country == "SY"
    assert rule(tmp_path, admin1="Raqqa", country="SY").admin1 == "Ar-Raqqah"
    for name in ("IS", "is", "ISIS", "Islamic State", "daesh"):
        assert rule(tmp_path, actor=name).actor_id == "is", name
    assert rule(tmp_path, event_type="battles").event_type == "Battles"
    assert rule(tmp_path, sub_event_type="air/drone strike").sub_event_type == "Air/drone strike"
    assert rule(tmp_path, contested=True).on_stories
    assert not rule(tmp_path, min_fatalities=0).on_stories


BAD_RULES = [
    ({"colour": "red"}, "alert 'r'.colour: unknown key"),
    ({"place": "Raqqa", "radius_km": "50"}, "alert 'r'.radius_km: must be a number"),
    ({"place": "Raqqa"}, "alert 'r'.radius_km: `place` needs a radius"),
    ({"radius_km": 5, "country": "SY"}, "alert 'r'.radius_km: only meaningful with `place`"),
    ({"place": "Qwxzzyq", "radius_km": 5}, "alert 'r'.place: 'Qwxzzyq' is not in the gazetteer"),
    ({"country": "Atlantis"}, "alert 'r'.country: 'Atlantis' is not a country"),
    ({"country": "ZZ"}, "alert 'r'.country: 'ZZ' is not an ISO 3166-1 code"),
    ({"admin1": "Bavaria", "country": "SY"}, "alert 'r'.admin1: 'Bavaria' is not a first-level"),
    ({"actor": "Knights Who Say Ni"}, "alert 'r'.actor: 'Knights Who Say Ni' is not an id"),
    ({"event_type": "Picnic"}, "alert 'r'.event_type: 'Picnic' is not an ACLED event type"),
    ({"sub_event_type": "Armed clash", "event_type": "Riots"},
     "alert 'r'.sub_event_type: 'Armed clash' is a kind of 'Battles', not of 'Riots'"),
    ({"bbox": [40, 35, 38, 37]}, "alert 'r'.bbox: must be [min_lon, min_lat, max_lon, max_lat]"),
    ({"bbox": [38, 35, 40]}, "alert 'r'.bbox: must be"),
    ({"min_fatalities": -1}, "alert 'r'.min_fatalities: must be at least 0"),
    ({"min_outlets": 0}, "alert 'r'.min_outlets: must be at least 1"),
    ({"min_outlets": True}, "alert 'r'.min_outlets: must be a whole number"),
    ({"contested": "yes"}, "alert 'r'.contested: must be true or false"),
    ({"contested": False}, "alert 'r'.contested: only `contested = true`"),
    ({}, "alert 'r': give at least one criterion"),
    ({"country": "SY", "deliver": []}, "alert 'r'.deliver: required, a non-empty list"),
    ({"country": "SY", "deliver": ["pigeon"]}, "unknown delivery target 'pigeon'"),
    ({"country": "SY", "deliver": ["webhook:ftp://x"]}, "needs an http(s) URL"),
    ({"country": "SY", "deliver": ["email:not an address"]}, "needs one address"),
    ({"country": "SY", "deliver": ["email:desk@example.org"]},
     "alert[0].deliver: email targets need an [smtp] table"),
]


@pytest.mark.parametrize(("table", "message"), BAD_RULES)
def test_parse_refuses_bad_rules(tmp_path: Path, table: dict[str, Any], message: str) -> None:
    full = {"name": "r", "deliver": ["desk"], **table}
    with pytest.raises(ConfigError) as err:
        rules_of(tmp_path, full)
    text = str(err.value)
    assert text.startswith(f"{tmp_path / 'watch.toml'}: "), text
    assert message in text and "\n" not in text, text


def test_parse_refuses_duplicate_names_and_a_nameless_rule(tmp_path: Path) -> None:
    twice = {"name": "Raqqa", "country": "SY", "deliver": ["desk"]}
    with pytest.raises(ConfigError, match=r"alert\[1\]\.name: 'Raqqa' is used by two alerts"):
        rules_of(tmp_path, twice, twice)
    with pytest.raises(ConfigError, match=r"alert\[0\]\.name: required"):
        rules_of(tmp_path, {"country": "SY", "deliver": ["desk"]})


def test_parse_smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "watch.toml"
    assert parse_smtp(None, path=path) is None
    s = parse_smtp({"host": "mail.example.org", "from": "desk@example.org"}, path=path)
    assert (s.port, s.security) == (587, "starttls")
    monkeypatch.setenv("NEWSDESK_TEST_SMTP", "hunter2")
    s = parse_smtp({"host": "h", "from": "f@x", "security": "ssl", "username": "u",
                    "password_env": "NEWSDESK_TEST_SMTP"}, path=path)
    assert (s.port, s.password) == (465, "hunter2")
    for table, message in [
        ({"host": "h"}, "smtp.from: required"),
        ({"host": "h", "from": "f@x", "pasword": "x"}, "smtp.pasword: unknown key"),
        ({"host": "h", "from": "f@x", "security": "tls"}, "smtp.security: 'tls' is not allowed"),
        ({"host": "h", "from": "f@x", "port": 70000}, "smtp.port: 70000 is not a TCP port"),
        ({"host": "h", "from": "f@x", "port": "25"}, "smtp.port: must be a whole number"),
        ({"host": "h", "from": "f@x", "password_env": "NEWSDESK_NOT_SET_EVER"},
         "smtp.password_env: environment variable NEWSDESK_NOT_SET_EVER is not set"),
    ]:
        with pytest.raises(ConfigError) as err:
            parse_smtp(table, path=path)
        assert str(err.value) == f"{path}: {message}" or str(err.value).startswith(
            f"{path}: {message}"), str(err.value)


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 100_000),
                    st.floats(allow_nan=True), st.text(max_size=12),
                    st.lists(st.integers(-200, 200), max_size=5))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["name", "deliver", "country", "radius_km", "bbox",
                                        "min_fatalities", "min_outlets", "contested",
                                        "event_type", "sub_event_type", "bogus"]),
                       _VALUES, max_size=5))
def test_parse_any_table_is_a_rule_or_one_line_config_error(table: dict[str, Any]) -> None:
    path = Path("/etc/newsdesk/watch.toml")
    try:
        rules = parse_alerts([table], path=path, smtp=None)
    except ConfigError as exc:
        assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
    else:
        assert rules[0].name == table["name"].strip() and rules[0].deliver


# -- matching, on what the pipeline stored ------------------------------------------------

AIR = "inc-29db668d09a5c608"  # coalition air strike on IS
CLASH = "inc-dda9c7663f8772e4"  # Syrian Elite Forces vs IS
IED = "inc-f8143b367c9af3ef"  # IS mines and IEDs
ALL = {AIR, CLASH, IED}


def test_the_example_store_holds_what_these_tests_expect(db: Path) -> None:
    with Store.open(db) as store:
        assert {i["id"] for i in store.incidents(limit=None)} == ALL
        # with the example's dates known (its manifest), the April Sputnik report and the
        # September AFP interview are stories apart from the July breach of the wall
        assert len(store.stories(limit=None)) == 3


@pytest.mark.parametrize(("criteria", "expected"), [
    ({"country": "SY"}, ALL),
    ({"country": "IQ"}, set()),
    ({"admin1": "Raqqa", "country": "SY"}, ALL),
    ({"admin1": "Aleppo"}, set()),
    ({"place": "Raqqa", "radius_km": 50}, ALL),
    ({"place": "Aleppo", "radius_km": 50}, set()),  # some 160 km away
    ({"place": "Aleppo", "radius_km": 250}, ALL),
    ({"bbox": [38.5, 35.5, 39.5, 36.5]}, ALL),
    ({"bbox": [36.0, 33.0, 37.0, 34.0]}, set()),  # Damascus
    ({"actor": "ISIS"}, ALL),
    ({"actor": "Syrian Elite Forces"}, {CLASH}),
    ({"actor": "us-led-coalition"}, {AIR}),
    ({"actor": "Taliban"}, set()),
    ({"event_type": "Battles"}, {CLASH}),
    ({"event_type": "Explosions/Remote violence"}, {AIR, IED}),
    ({"sub_event_type": "Air/drone strike"}, {AIR}),
    ({"sub_event_type": "Armed clash", "actor": "us-led-coalition"}, set()),
    ({"min_fatalities": 1}, set()),  # no report gives a toll
    ({"min_fatalities": 0}, set()),  # an unknown toll is not zero
])
def test_incident_rules(db: Path, tmp_path: Path, criteria: dict[str, Any], expected: set[str]
                        ) -> None:
    assert matched(db, rule(tmp_path, **criteria)) == expected


def test_min_fatalities_follows_a_review(db: Path, tmp_path: Path) -> None:
    with Store.open(db) as store:
        store.review_incident(AIR, action="edit", changes={"fatalities": 12}, who="analyst")
    assert matched(db, rule(tmp_path, min_fatalities=10)) == {AIR}
    assert matched(db, rule(tmp_path, min_fatalities=13)) == set()


def test_story_rules(db: Path, tmp_path: Path) -> None:
    with Store.open(db) as store:
        (sid,) = {s["id"] for s in store.stories(limit=None)
                  if set(store.get_incident(CLASH)["article_ids"]) <= set(s["article_ids"])}
    assert matched(db, rule(tmp_path, contested=True)) == {sid}
    assert matched(db, rule(tmp_path, min_outlets=2)) == {sid}
    assert matched(db, rule(tmp_path, min_outlets=10)) == set()
    # story rules with incident criteria need one of the story's incidents to meet them
    assert matched(db, rule(tmp_path, contested=True, actor="Syrian Elite Forces")) == {sid}
    assert matched(db, rule(tmp_path, contested=True, country="IQ")) == set()
    with Store.open(db) as store:
        (alert,) = evaluate(store, [rule(tmp_path, contested=True)], desk_url=DESK)
    assert alert.kind == "story" and alert.link == f"{DESK}/stories/{sid}"
    assert "contested figure: fighters" in alert.summary
    assert "2,500" in alert.summary and "2,000" in alert.summary
    assert alert.summary.endswith("sources: AFP, Arab News, Middle East Eye")


def test_incident_alert_carries_rule_record_summary_sources_and_link(db: Path, tmp_path: Path
                                                                    ) -> None:
    r = rule(tmp_path, sub_event_type="Air/drone strike")
    with Store.open(db) as store:
        (alert,) = evaluate(store, [r], desk_url=DESK + "/")
    assert alert.rule == "r" and alert.kind == "incident" and alert.subject_id == AIR
    assert alert.record["actor1_id"] == "us-led-coalition" and "evidence" not in alert.record
    assert alert.summary == ("r: Air/drone strike in Ar Raqqah, Ar-Raqqah, SY on 2017-07-04 "
                             "(Global Coalition Against Daesh vs Islamic State); sources: AFP, "
                             "Middle East Eye")
    assert alert.link == f"{DESK}/incidents/{AIR}"
    assert alert.outlets == ("AFP", "Middle East Eye")


# -- ids and delivery ---------------------------------------------------------------------


def test_ids_are_stable_and_nothing_is_delivered_twice_across_restarts(db: Path, tmp_path: Path
                                                                      ) -> None:
    rules = rules_of(tmp_path, {"name": "Raqqa", "place": "Raqqa", "radius_km": 50,
                                "deliver": ["jsonl:alerts.jsonl", "stdout", "desk"]})
    out = io.StringIO()
    with Store.open(db) as store:
        first = run_alerts(store, rules, smtp=None, desk_url=DESK, out=out)
        again = evaluate(store, rules, desk_url=DESK)
        assert run_alerts(store, rules, smtp=None, desk_url=DESK, out=out) == []
    assert {a.subject_id for a in first} == ALL
    assert sorted(a.id for a in again) == sorted(a.id for a in first)
    lines = (tmp_path / "alerts.jsonl").read_text("utf-8").splitlines()
    assert sorted(json.loads(x)["id"] for x in lines) == sorted(a.id for a in first)
    assert json.loads(lines[0])["summary"].startswith("Raqqa: ")
    printed = out.getvalue().splitlines()
    assert len(printed) == 3 and all(f" {DESK}/incidents/inc-" in p for p in printed)
    # a restarted watcher: another process, its own Store
    script = (
        "import sys; from pathlib import Path\n"
        "from newsdesk.store import Store\n"
        "from newsdesk.watch.alerts import parse_alerts, run_alerts\n"
        "rules = parse_alerts([{'name': 'Raqqa', 'place': 'Raqqa', 'radius_km': 50,"
        " 'deliver': ['jsonl:alerts.jsonl', 'stdout', 'desk']}],"
        " path=Path(sys.argv[2]), smtp=None)\n"
        "with Store.open(sys.argv[1]) as s:\n"
        f"    print('new', len(run_alerts(s, rules, smtp=None, desk_url={DESK!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(db), str(tmp_path / "watch.toml")],
        capture_output=True, text=True, check=True, cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout == "new 0\n", done.stderr
    assert (tmp_path / "alerts.jsonl").read_text("utf-8").splitlines() == lines


def test_a_figure_contested_later_is_a_new_alert(db: Path, tmp_path: Path) -> None:
    rules = rules_of(tmp_path, {"name": "c", "contested": True, "deliver": ["desk"]})
    with Store.open(db) as store:
        (first,) = run_alerts(store, rules, smtp=None, desk_url=DESK)
        assert run_alerts(store, rules, smtp=None, desk_url=DESK) == []
    with closing(sqlite3.connect(db)) as conn, conn:
        sid, data = conn.execute("SELECT id, data FROM stories WHERE id = ?",
                                 (first.subject_id,)).fetchone()
        story = json.loads(data)
        agreed = next(g for g in story["claim_groups"] if g["status"] != "contested")
        agreed["status"] = "contested"
        conn.execute("UPDATE stories SET data = ? WHERE id = ?", (json.dumps(story), sid))
    with Store.open(db) as store:
        (second,) = run_alerts(store, rules, smtp=None, desk_url=DESK)
    assert second.id != first.id and second.subject_id == first.subject_id
    assert agreed["counted"] in second.summary


def test_run_alerts_limited_to_the_reports_a_poll_stored(db: Path, tmp_path: Path) -> None:
    rules = rules_of(tmp_path, {"name": "all", "country": "SY", "deliver": ["desk"]},
                     {"name": "c", "contested": True, "deliver": ["desk"]})
    with Store.open(db) as store:
        (article_id,) = store.get_incident(CLASH)["article_ids"]
        assert run_alerts(store, rules, smtp=None, desk_url=DESK, articles=[]) == []
        some = run_alerts(store, rules, smtp=None, desk_url=DESK, articles=[article_id])
        rest = run_alerts(store, rules, smtp=None, desk_url=DESK)
    assert {a.subject_id for a in some if a.kind == "incident"} == {CLASH, AIR}
    assert [a.kind for a in some].count("story") == 1
    assert {a.subject_id for a in rest} == {IED}


class _Receiver(BaseHTTPRequestHandler):
    fail_next: ClassVar[int] = 1
    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        failing = type(self).fail_next > 0
        type(self).fail_next -= 1
        self.send_response(500 if failing else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def webhook_receiver() -> Iterator[type[_Receiver]]:
    handler = type("Receiver", (_Receiver,), {"fail_next": 1, "bodies": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_fails_then_is_retried_and_never_resent(db: Path, tmp_path: Path) -> None:
    with webhook_receiver() as hook:
        rules = rules_of(tmp_path, {"name": "blasts", "event_type": "Explosions/Remote violence",
                                    "deliver": [f"webhook:{hook.url}", "desk"]})
        with Store.open(db) as store:
            raised = run_alerts(store, rules, smtp=None, desk_url=DESK)
            assert {a.subject_id for a in raised} == {AIR, IED}
            tried, waiting = (next(d for d in deliveries(store, a.id) if d["target"] != "desk")
                              for a in raised)
            # the hook failed once; the second alert waits for the next poll, untried
            assert tried["delivered_at"] is None and tried["attempts"] == 1
            assert "500" in tried["last_error"]
            assert waiting["delivered_at"] is None and waiting["attempts"] == 0
            assert all(d["delivered_at"] for a in raised for d in deliveries(store, a.id)
                       if d["target"] == "desk")
        assert len(hook.bodies) == 1
        with Store.open(db) as store:  # the next poll, after a restart
            assert run_alerts(store, rules, smtp=None, desk_url=DESK) == []
            states = [deliveries(store, a.id) for a in raised]
            assert all(d["delivered_at"] and not d["last_error"] for s in states for d in s)
            run_alerts(store, rules, smtp=None, desk_url=DESK)
        assert len(hook.bodies) == 3
        assert sorted(b["alert"]["id"] for b in hook.bodies[1:]) == sorted(a.id for a in raised)
        body = next(b for b in hook.bodies[1:] if b["alert"]["subject_id"] == AIR)
        alert = next(a for a in raised if a.subject_id == AIR)
        assert body["text"] == f"{alert.summary} {DESK}/incidents/{AIR}"
        assert body["alert"]["rule"] == "blasts" and body["alert"]["outlets"] == [
            "AFP", "Middle East Eye"]


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_email_through_a_loopback_smtp_server(db: Path, tmp_path: Path) -> None:
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")

    class Collect:
        def __init__(self) -> None:
            self.messages: list[Any] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.messages.append(envelope)
            return "250 OK"

    handler = Collect()
    port = free_port()
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp = parse_smtp({"host": "127.0.0.1", "port": port, "from": "watch@desk.example",
                           "security": "none"}, path=tmp_path / "watch.toml")
        rules = rules_of(tmp_path, {"name": "clash", "event_type": "Battles",
                                    "deliver": ["email:analyst@desk.example"]}, smtp=smtp)
        with Store.open(db) as store:
            (alert,) = run_alerts(store, rules, smtp=smtp, desk_url=DESK)
            assert run_alerts(store, rules, smtp=smtp, desk_url=DESK) == []
            (state,) = deliveries(store, alert.id)
        assert state["delivered_at"] and state["last_error"] is None
        (mail,) = handler.messages
        assert mail.mail_from == "watch@desk.example"
        assert mail.rcpt_tos == ["analyst@desk.example"]
        text = mail.content.decode()
        assert "Subject: [newsdesk] clash: Armed clash in Ar Raqqah" in text
        assert f"{DESK}/incidents/{CLASH}" in text
    finally:
        controller.stop()


def test_email_to_a_server_that_is_down_waits_for_the_next_poll(db: Path, tmp_path: Path
                                                               ) -> None:
    # nothing listens on a port just freed
    smtp = SmtpSettings(host="127.0.0.1", port=free_port(), sender="w@x.example",
                        security="none", timeout_s=2)
    rules = rules_of(tmp_path, {"name": "ied", "actor": "IS", "sub_event_type":
                                "Remote explosive/landmine/IED", "deliver": ["email:a@x.example"]},
                     smtp=smtp)
    with Store.open(db) as store:
        (alert,) = run_alerts(store, rules, smtp=smtp, desk_url=DESK)
        run_alerts(store, rules, smtp=smtp, desk_url=DESK)
        (state,) = deliveries(store, alert.id)
    assert state["delivered_at"] is None and state["attempts"] == 2
    assert "ConnectionRefusedError" in state["last_error"]


def test_stdout_target_writes_to_sys_stdout(db: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    rules = rules_of(tmp_path, {"name": "clash", "event_type": "Battles", "deliver": ["stdout"]})
    with Store.open(db) as store:
        run_alerts(store, rules, smtp=None, desk_url=None)
    assert capsys.readouterr().out == (
        "clash: Armed clash in Ar Raqqah, Ar-Raqqah, SY on 2017-07-04 (Syrian Elite Forces vs "
        "Islamic State);"
        f" sources: AFP /incidents/{CLASH}\n"
    )


def test_min_outlets_counts_a_republished_copy_as_its_original(db: Path, tmp_path: Path
                                                               ) -> None:
    """A verbatim copy (dedup's `duplicate_of`, not wire copy) is not another outlet: the
    story's count drops as Arab News copies AFP, then as Middle East Eye copies Arab News."""
    with Store.open(db) as store:
        (sid,) = {s["id"] for s in store.stories(limit=None)
                  if set(store.get_incident(CLASH)["article_ids"]) <= set(s["article_ids"])}
        (story,) = [s for s in store.stories(limit=None) if s["id"] == sid]
        by_outlet = {a.outlet: a.id for a in store.iter_articles(ids=story["article_ids"])}
    assert {"AFP", "Arab News", "Middle East Eye"} <= set(by_outlet)
    n = len(by_outlet)
    assert matched(db, rule(tmp_path, min_outlets=n)) == {sid}
    for copy, original in (("Arab News", "AFP"), ("Middle East Eye", "Arab News")):
        with closing(sqlite3.connect(db)) as conn, conn:
            conn.execute("UPDATE articles SET duplicate_of = ? WHERE id = ?",
                         (by_outlet[original], by_outlet[copy]))
        n -= 1
        assert sid not in matched(db, rule(tmp_path, min_outlets=n + 1)), copy
        assert sid in matched(db, rule(tmp_path, min_outlets=n)), copy
    # copies of an original the store lacks count once, as that original
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE articles SET duplicate_of = 'not-stored' WHERE id IN (?, ?)",
                     (by_outlet["Arab News"], by_outlet["Middle East Eye"]))
    assert sid not in matched(db, rule(tmp_path, min_outlets=len(by_outlet)))
    assert sid in matched(db, rule(tmp_path, min_outlets=len(by_outlet) - 1))
