"""Fingerprints, masks, and the redactor that is the last line of defence."""

from __future__ import annotations

import json

from secretsync.masking import MASK, Redactor, fingerprint, mask

KEY = "sk-proj-Q2k9vX7LmT4pR8sW1nB6yH3cJ5dF0gA"
PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n"


def test_fingerprints_compare_within_a_run_and_hide_the_value() -> None:
    assert fingerprint(KEY) == fingerprint(KEY)
    assert fingerprint(KEY) != fingerprint(KEY + "x")
    assert KEY not in fingerprint(KEY) and fingerprint(KEY).startswith("fp:")
    assert fingerprint(KEY, key=b"a") != fingerprint(KEY, key=b"b")


def test_mask_says_whether_a_value_is_set_never_what_it_is() -> None:
    assert mask(None) == "(unset)"
    assert mask("  ") == "(empty)"
    assert mask(KEY) == f"{MASK} ({len(KEY)} chars)"


def test_redactor_scrubs_values_and_their_lines_longest_first() -> None:
    redactor = Redactor([KEY, KEY[:20], PEM])
    text = f"a {KEY} b {KEY[:20]} c {PEM.splitlines()[1]}"
    out = redactor.redact(text)
    assert KEY not in out and KEY[:20] not in out and PEM.splitlines()[1] not in out
    assert out.count(MASK) == 3
    assert repr(redactor) == "Redactor(7 values)"  # each line of the PEM too


def test_add_secrets_leaves_words_placeholders_and_short_values_out() -> None:
    redactor = Redactor()
    redactor.add_secrets(["true", "production", "changeme", "sophia", "${OPENAI_API_KEY}", KEY])
    report = json.dumps({"passed": True, "esc": "org/default/sophia-ai-production", "key": KEY})
    out = redactor.redact(report)
    assert json.loads(out) == {
        "passed": True,
        "esc": "org/default/sophia-ai-production",
        "key": MASK,
    }
