"""Property tests (hypothesis) for what strangers control: names and addresses rendered into notices, the batch
framing, email addresses from the store, SES notifications and the mail house's acknowledgement files."""

from __future__ import annotations

import json
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from include.config import DEMO_BUSINESS
from include.notices.addresses import parse_mailbox
from include.notices.content import build_context, synthetic_person
from include.notices.delivery.events import ack_events, ses_event
from include.notices.samples import SAMPLE_INCIDENT

TEMPLATES = ("email.txt", "email.html", "letter.html", "banner_snippet.html", "notice.html")
# Names as stores hold them: anything, with extra weight on whitespace, separators and the renderer's own tokens.
TRICKY = st.sampled_from(
    [" ", "\t", "\n", "\u2028", "\u2029", "\u0085", "\u00a0", "\u27e6name\u27e7", "\u27e6key\u27e7", "<", "&", "'"]
)
NAME = st.one_of(st.text(max_size=30), st.lists(TRICKY, max_size=4).map("".join), st.just(""))
LINES = st.lists(st.text(max_size=20), max_size=4)
VARIANT = st.sampled_from([("US-CA", "en"), ("US-CA", "es"), ("US-MA", "es"), ("EU-DE", "en"), ("US-TX", "en")])


@cache
def rules():
    from include.legal.rules import load_rules

    return load_rules()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=NAME, last=NAME, street=LINES, variant=VARIANT, key=st.text(min_size=1, max_size=24))
def test_the_skeleton_renderer_and_the_direct_render_agree_on_every_input(first, last, street, variant, key):
    from include.notices.render import SkeletonRenderer, render

    jurisdiction, language = variant
    person = {**synthetic_person(jurisdiction, language), "firstname": first, "lastname": last, "street": "\n".join(street)}
    context = build_context(
        business=DEMO_BUSINESS,
        incident=SAMPLE_INCIDENT,
        person=person,
        rules=rules(),
        credit_monitoring_months=12,
        notice_url="https://example.com/n",
    )
    renderer = SkeletonRenderer()
    for template in TEMPLATES:
        assert renderer.render(template, context, key=key) == render(template, context, key=key), template
    text = render("email.txt", context, key=key)
    if not (first + " " + last).strip():
        assert ("Dear customer," if language == "en" else "Estimado/a cliente:") in text


@given(st.lists(st.dictionaries(st.text(max_size=8), st.text(max_size=30), max_size=4), max_size=5))
def test_batch_framing_gives_back_every_record_whatever_its_strings(records):
    body = "".join(json.dumps(r, ensure_ascii=True) + "\n" for r in records).encode()
    assert [json.loads(line) for line in body.split(b"\n") if line.strip()] == records


@given(st.text(max_size=80))
def test_the_address_parser_never_raises_and_accepts_only_one_plain_mailbox(raw):
    mailbox = parse_mailbox(raw)
    if mailbox is not None:
        assert raw.count("@") == 1 and not set(raw) & set(',;<>()"\r\n \t')
        assert mailbox.ascii is None or mailbox.ascii.isascii()


@given(st.text(max_size=60), st.text(max_size=60))
def test_the_address_parser_refuses_every_list(left, right):
    assert parse_mailbox(f"{left}@example.com,{right}@evil.example") is None
    assert parse_mailbox(f"{left}@example.com\r\nBcc: {right}@evil.example") is None


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=12,
)


@given(st.one_of(st.text(max_size=200), JSONISH.map(json.dumps)))
def test_an_ses_notification_of_any_shape_becomes_an_event_or_an_unreadable_one(body):
    event = ses_event(body, "m-1")
    assert event.event_id == "m-1" and (event.status is None or event.status in {"delivered", "bounced", "complained", "failed"})


@given(st.binary(max_size=300))
def test_an_acknowledgement_file_of_any_bytes_never_raises(data):
    for event in ack_events(data, source="file-outbox-postal", handle="/x/acks.jsonl"):
        assert event.status is None or event.status in {"mailed", "returned", "delivered", "bounced", "complained"}
