"""Chrome cleaning, measured against hand-annotated Raqqa files and unit cases."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.ingest.clean import clean_text

ANNOTATED = "ingest/raqqa_chrome.json"


def _files(data_dir):
    return json.loads((data_dir / ANNOTATED).read_text(encoding="utf-8"))["files"]


def test_clean_raqqa_drops_every_chrome_line_and_keeps_every_article_line(example_dir, data_dir):
    for name, gold in _files(data_dir).items():
        cleaned = clean_text((example_dir / name).read_text(encoding="utf-8"))
        paragraphs = cleaned.text.split("\n\n")
        for line in gold["chrome"]:
            assert line not in paragraphs, f"{name}: chrome survived: {line!r}"
            assert line in cleaned.removed, f"{name}: chrome not reported: {line!r}"
        missing = [line for line in gold["article"] if line not in paragraphs]
        assert not missing, f"{name}: article lines cut or altered: {missing}"
        assert len(paragraphs) == len(gold["article"]), name


def test_clean_normalises_indentation_and_nbsp(example_dir):
    text = (example_dir / "004_a4db6539298bde31.txt").read_text(encoding="utf-8")
    cleaned = clean_text(text).text
    assert "\u00a0" not in cleaned
    assert all(p == p.strip() for p in cleaned.split("\n\n"))
    assert "highways leading to Daesh's de facto capital of Raqqa." in cleaned


def test_clean_render_stamp_is_chrome_but_dated_sentence_is_not():
    text = (
        "Updated 09:12 GMT 3 March 2021\n\n"
        "Fighting resumed on 3 March 2021 near the town, residents said.\n\n"
        "The army said it had retaken two villages."
    )
    cleaned = clean_text(text)
    assert cleaned.removed == ["Updated 09:12 GMT 3 March 2021"]
    assert cleaned.text.startswith("Fighting resumed on 3 March 2021")


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("Fighters cross a street in the suburb of Dariya (AFP)", True),
        ("Displaced families wait at a checkpoint. (AP Photo/Hussein Malla)", True),
        ("Smoke rises over the old city / Reuters", True),
        ("Photo: Delil Souleiman", True),
        ("Beirut (AFP) - Forces have entered the Old City, a monitor said.", False),
        ("The ministry did not comment on the strike. (Reuters)", False),
        ("Electronic health records (ePA", False),
    ],
)
def test_clean_captions_and_credits(line, chrome):
    text = f"The offensive began in June, officials said.\n\n{line}\n\nTalks are due next week."
    assert (line in clean_text(text).removed) is chrome


def test_clean_tag_list_goes_but_sentence_with_commas_stays():
    body = "Residents of Aleppo, Homs, Hama and Idlib fled, the UN said."
    text = f"{body}\n\nSyria, Aleppo, Homs, Civil War, Refugees"
    cleaned = clean_text(text)
    assert cleaned.text == body


def test_clean_related_headline_list_goes_but_article_list_stays():
    related = [
        "Rebels Seize Key Town After Week-Long Siege",
        "Why The Ceasefire Talks Collapsed Again",
        "Aid Convoy Reaches Besieged District For First Time",
    ]
    schedule = ["June 9 – Talks in Geneva", "June 12 – Vote in parliament", "June 20 – Deadline"]
    text = (
        "The government announced a timetable on Monday.\n\n"
        + "\n".join(schedule)
        + "\n\nOpposition leaders rejected it.\n\n"
        + "\n".join(related)
    )
    cleaned = clean_text(text)
    assert all(line in cleaned.text.split("\n\n") for line in schedule)
    assert all(line in cleaned.removed for line in related)


def test_clean_unwraps_hard_wrapped_text():
    para = (
        "Government forces shelled the eastern districts of the city on Sunday\n"
        "morning, killing at least twelve civilians, according to a local monitor\n"
        "that relies on a network of sources on the ground across the province."
    )
    text = "\n\n".join([para] * 4)
    cleaned = clean_text(text)
    assert cleaned.text.split("\n\n")[0] == " ".join(para.split("\n"))
    assert not cleaned.removed


_LINES = st.sampled_from([
    "Skip to main content", "Listen Live", "23:45 GMT24 May 2020", "- New hub targeted -",
    "Daesh, United States, Syria, Deir Ez-Zor, Raqqa",
    "US-Led Coalition Jets Bomb 10 Daesh Units Near Tabqa as Raqqa Op Continues",
    "The coalition estimates that around 2,500 IS jihadists are defending Raqa.",
    "Beirut (AFP) - US-backed forces have penetrated the heavily fortified heart of Raqa.",
    "A member of the SDF crosses a street (AFP)", "Operation to Liberate Raqqa From Daesh (61)",
    "", "   ", "\u00a0indented\u00a0line",
])
_TEXTS = st.one_of(st.text(max_size=400), st.lists(st.one_of(_LINES, st.text(max_size=60)),
                                                   max_size=25).map("\n".join))


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_clean_never_adds_words_and_is_idempotent(text):
    once = clean_text(text)
    visible = re.sub(r"[\u200b-\u200d\u2060\ufeff\u00ad]", "", text)  # invisible marks go
    tokens_in = Counter(visible.split())
    tokens_out = Counter(once.text.split())
    assert not tokens_out - tokens_in
    assert clean_text(once.text).text == once.text


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("(© 2019 WXYZ)", True),
        ("Copyright 2018 The Associated Press. All rights reserved. This material may not be "
         "published, broadcast, rewritten or redistributed.", True),
        ("Already have an account?", True),
        ("Thank you for registering!", True),
        ("Your notification has been saved.", True),
        ("We have sent you a verification email. Please check your inbox.", True),
        ("Follow WXYZ.COM: Facebook | Twitter", True),
        ("Stay Up To Date, Follow WXYZ On Twitter", True),
        ("Share this: Facebook", True),
        ("TRENDING STORIES:", True),
        ("Sign up for email alerts today.", True),
        ("2:14 Mayor speaks after weekend of violence", True),
        ("The gunman posted threats on Facebook and Twitter before the attack, police said.",
         False),
        ("Shots were fired at 10:30 p.m. near the corner, witnesses said.", False),
        ("Officers followed the suspect on foot for two blocks.", False),
        ("The copyright dispute went to court in March.", False),
    ],
)
def test_clean_site_furniture_goes_but_reporting_about_it_stays(line, chrome):
    text = f"A man was shot on Sunday, police said.\n\n{line}\n\nHe died later in hospital."
    assert (line in clean_text(text).removed) is chrome


def test_chrome_phrases_are_found_case_blind_as_re_ignorecase_finds_them():
    """`_CHROME_PHRASE` is searched lower-cased, without re.IGNORECASE, in the line
    `case_blind` folds: the folding must send every character the flag equates with a
    letter or sign the pattern is written in to that letter or sign, and no other
    character to one of them."""
    from newsdesk.casefold import case_blind
    from newsdesk.ingest import clean

    written = "abcdefghijklmnopqrstuvwxyz' ,*-.{|}"
    everything = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp < 0xE000)
    blind = re.compile("[" + re.escape(written) + "]", re.IGNORECASE)

    def equated(match: re.Match[str]) -> str:
        return next(c for c in written if re.fullmatch(re.escape(c), match[0], re.IGNORECASE))

    folded = case_blind(everything)
    assert len(folded) == len(everything)
    assert [(m.start(), m[0]) for m in re.finditer("[" + re.escape(written) + "]", folded)] \
        == [(m.start(), equated(m)) for m in blind.finditer(everything)]
    assert not clean._CHROME_PHRASE.flags & re.IGNORECASE
    notices = ["Comments are closed.", "SIGN UP FOR OUR NEWSLETTER to get the day's news",
               "Comments Are Moderated", "S\u0130GN UP FOR OUR DAILY briefing",
               "We u\u017fe cookies to improve your experience on this site."]
    for line in notices:
        assert clean._CHROME_PHRASE.search(case_blind(line)), line
        assert (line in clean_text(f"Shelling hit the town.\n\n{line}").removed), line
