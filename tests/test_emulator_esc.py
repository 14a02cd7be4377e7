"""The ESC half of the emulator, driven through ``EscService.handle`` and the whole emulator."""

from __future__ import annotations

import base64
import json
import random
import threading
from datetime import datetime, timezone
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretsync.emulator._http import Clock, EmuRequest, EmuResponse
from secretsync.emulator.esc import EscService
from secretsync.emulator.esc_crypto import SecretKeeper, quote_yaml

ORG, ENV = "acme-org", "/environments/acme-org/proj/dev"
CANARY = "canary-7Hq2-value-never-shown"
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Api:
    """Small helper: one EscService with a frozen clock, JSON in and out."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.clock.set(START)
        self.svc = EscService(self.clock, random.Random(1))

    def call(
        self, method: str, target: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> EmuResponse:
        if isinstance(body, str):
            raw = body.encode()
        else:
            raw = b"" if body is None else json.dumps(body).encode()
        return self.svc.handle(EmuRequest.build(method, target, headers, raw))

    def create(self, project: str = "proj", name: str = "dev") -> None:
        assert (
            self.call("POST", f"/environments/{ORG}", {"project": project, "name": name}).status
            == 204
        )

    def patch(self, text: str, target: str = ENV, **headers: str) -> EmuResponse:
        return self.call("PATCH", target, text, headers)


def body(resp: EmuResponse) -> Any:
    return json.loads(resp.body)


@pytest.fixture
def api() -> Api:
    return Api()


def test_create_conflict_and_bad_names(api: Api) -> None:
    api.create()
    again = api.call("POST", f"/environments/{ORG}", {"project": "proj", "name": "dev"})
    assert again.status == 409 and body(again)["code"] == 409
    for project, name in [("proj", "bad name"), ("proj", "open"), ("p/x", "dev"), ("proj", "")]:
        resp = api.call("POST", f"/environments/{ORG}", {"project": project, "name": name})
        assert resp.status == 400, (project, name)
    assert api.call("POST", "/environments/a", {"project": "p", "name": "e"}).status == 400
    assert api.call("POST", f"/environments/{ORG}", "not json").status == 400


def test_new_environment_is_revision_one_and_empty(api: Api) -> None:
    api.create()
    resp = api.call("GET", ENV)
    assert resp.status == 200 and resp.body == b""
    assert resp.headers["Pulumi-ESC-Revision"] == "1"
    versions = body(api.call("GET", ENV + "/versions"))
    assert versions == [
        {
            "number": 1,
            "created": "2026-01-01T00:00:00Z",
            "creatorLogin": "emulator",
            "creatorName": "Emulator",
            "tags": ["latest"],
        }
    ]


def test_unknown_things_are_404_json(api: Api) -> None:
    empty = api.call("GET", f"/environments/{ORG}")  # an org with none: an empty list
    assert (empty.status, body(empty)) == (200, {"environments": []})
    api.create()
    for method, target in [
        ("GET", "/environments/acme-org/proj/nope"),
        ("GET", "/environments/other-org/proj/dev"),
        ("PATCH", "/environments/acme-org/nope/dev"),
        ("GET", ENV + "/versions/9"),
        ("GET", ENV + "/versions/some-tag"),
        ("GET", ENV + "/open/unknown-session"),
        ("GET", ENV + "/tags/unknown-tag"),
        ("GET", "/nothing"),
    ]:
        resp = api.call(method, target, "")
        assert resp.status == 404, target
        assert set(body(resp)) == {"message", "code"}
    assert api.call("PUT", ENV, "").status == 405


def test_list_pages_with_continuation_tokens(api: Api) -> None:
    for i in range(5):
        api.create("proj", f"env-{i}")
    api.svc.list_page_size = 2
    names, token, pages = [], None, 0
    while True:
        target = f"/environments/{ORG}" + (f"?continuationToken={token}" if token else "")
        page = body(api.call("GET", target))
        pages += 1
        names += [e["name"] for e in page["environments"]]
        assert all(
            set(e) == {"organization", "project", "name", "created", "modified"}
            for e in page["environments"]
        )
        token = page.get("nextToken")
        if not token:
            break
    assert (names, pages) == ([f"env-{i}" for i in range(5)], 3)
    assert api.call("GET", f"/environments/{ORG}?continuationToken=%%%").status == 400


def test_secrets_are_stored_encrypted_and_decrypt_restores_them(api: Api) -> None:
    api.create()
    text = f"# keep me\nvalues:\n  db:\n    password:\n      fn::secret: {CANARY}  # trailing\n  plain: x\n"
    assert api.patch(text).status == 200
    got = api.call("GET", ENV)
    stored = got.body.decode()
    assert CANARY not in stored
    assert "# keep me" in stored and "# trailing" in stored
    assert yaml.safe_load(stored)["values"]["db"]["password"]["fn::secret"]["ciphertext"]
    dec = api.call("GET", ENV + "/decrypt")
    assert yaml.safe_load(dec.body)["values"]["db"]["password"]["fn::secret"] == CANARY
    assert dec.headers["ETag"] == got.headers["ETag"]
    assert dec.headers["Pulumi-ESC-Revision"] == got.headers["Pulumi-ESC-Revision"] == "2"
    head = api.call("HEAD", ENV)
    assert head.status == 200 and head.headers == {"ETag": got.headers["ETag"]} and head.body == b""


def test_patching_back_a_ciphertext_keeps_the_secret(api: Api) -> None:
    api.create()
    api.patch(f"values:\n  s: {{fn::secret: {CANARY}}}\n")
    stored = api.call("GET", ENV).body.decode()
    assert api.patch(stored + "  other: 1\n").status == 200
    assert (
        yaml.safe_load(api.call("GET", ENV + "/decrypt").body)["values"]["s"]["fn::secret"]
        == CANARY
    )
    forged = (
        "values:\n  s: {fn::secret: {ciphertext: " + base64.b64encode(b"x" * 40).decode() + "}}\n"
    )
    resp = api.patch(forged)
    assert resp.status == 400 and body(resp)["diagnostics"][0]["summary"] == "invalid ciphertext"
    other_key = SecretKeeper(random.Random(99)).encrypt("x")
    assert api.patch(f"values:\n  s: {{fn::secret: {{ciphertext: {other_key}}}}}\n").status == 400


def test_stale_etag_is_a_conflict(api: Api) -> None:
    api.create()
    etag = api.call("GET", ENV).headers["ETag"]
    assert api.patch("values: {a: 1}\n", ETag=etag).status == 200
    stale = api.patch("values: {a: 2}\n", ETag=etag)
    assert stale.status == 409 and body(stale)["code"] == 409
    assert api.patch("values: {a: 2}\n", **{"If-Match": f'"{etag}"'}).status == 409
    fresh = api.call("HEAD", ENV).headers["ETag"]
    assert api.patch("values: {a: 3}\n", ETag=fresh).status == 200
    assert api.patch("values: {a: 4}\n").status == 200  # no header: unconditional
    assert api.call("GET", ENV).headers["Pulumi-ESC-Revision"] == "4"


def test_invalid_definitions_answer_400_with_diagnostics_and_store_nothing(api: Api) -> None:
    api.create()
    for text in [
        "values: [1,\n",
        "values:\n  s: {fn::secret: 'a${b}'}\n",
        "values:\n  a: ${missing}\n",
    ]:
        resp = api.patch(text)
        assert resp.status == 400
        diags = body(resp)["diagnostics"]
        assert diags and all("summary" in d and "range" in d for d in diags)
    assert api.call("GET", ENV).headers["Pulumi-ESC-Revision"] == "1"
    ok = api.patch("values: {a: 1}\n")
    assert (ok.status, body(ok)) == (200, {"diagnostics": []})


def test_revisions_list_newest_first_and_each_can_be_read(api: Api) -> None:
    api.create()
    for i in range(3):
        api.clock.advance(60)
        api.patch(f"values: {{n: {i}}}\n")
    numbers = [r["number"] for r in body(api.call("GET", ENV + "/versions"))]
    assert numbers == [4, 3, 2, 1]
    page = body(api.call("GET", ENV + "/versions?before=4&count=2"))
    assert [r["number"] for r in page] == [3, 2]
    assert page[0]["created"] == "2026-01-01T00:02:00Z" and page[0]["tags"] == []
    assert yaml.safe_load(api.call("GET", ENV + "/versions/2").body) == {"values": {"n": 0}}
    latest = api.call("GET", ENV + "/versions/latest")
    assert yaml.safe_load(latest.body) == {"values": {"n": 2}}
    assert latest.headers["Pulumi-ESC-Revision"] == "4"
    assert api.call("GET", ENV + "/versions?count=x").status == 400


def test_a_revision_can_be_read_decrypted(api: Api) -> None:
    api.create()
    api.patch(f"values:\n  token:\n    fn::secret: {CANARY}\n")
    api.patch("values: {n: 1}\n")
    sealed = api.call("GET", ENV + "/versions/2")
    assert CANARY.encode() not in sealed.body and b"ciphertext" in sealed.body
    opened = api.call("GET", ENV + "/versions/2/decrypt")
    assert opened.status == 200
    assert yaml.safe_load(opened.body) == {"values": {"token": {"fn::secret": CANARY}}}
    assert opened.headers["Pulumi-ESC-Revision"] == "2"
    assert api.call("GET", ENV + "/versions/9/decrypt").status == 404


def test_open_and_read_values_and_one_property(api: Api) -> None:
    api.create()
    api.patch(
        f"values:\n  s: {{fn::secret: {CANARY}}}\n  environmentVariables:\n    S: ${{s}}\n  n: [1]\n"
    )
    opened = api.call("POST", ENV + "/open?duration=2h")
    assert opened.status == 200
    session = body(opened)["id"]
    props = body(api.call("GET", f"{ENV}/open/{session}"))["properties"]
    assert props["s"]["value"] == CANARY and props["s"]["secret"] is True
    assert props["environmentVariables"]["value"]["S"]["value"] == CANARY
    assert props["n"]["value"][0]["value"] == 1
    one = body(api.call("GET", f"{ENV}/open//{session}?property=environmentVariables.S"))
    assert (one["value"], one["secret"]) == (CANARY, True)
    assert api.call("GET", f"{ENV}/open//{session}?property=n[5]").status == 404
    assert api.call("GET", f"{ENV}/open//{session}?property=[0]").status == 400
    assert api.call("GET", f"/environments/{ORG}/proj/other/open/{session}").status == 404


def test_open_sessions_expire_and_durations_are_checked(api: Api) -> None:
    api.create()
    session = body(api.call("POST", ENV + "/open"))["id"]
    api.clock.advance(3599)
    assert api.call("GET", f"{ENV}/open/{session}").status == 200
    api.clock.advance(1)
    assert api.call("GET", f"{ENV}/open/{session}").status == 404
    short = body(api.call("POST", ENV + "/open?duration=1m30s"))["id"]
    api.clock.advance(91)
    assert api.call("GET", f"{ENV}/open/{short}").status == 404
    assert api.call("POST", ENV + "/open?duration=soon").status == 400


def test_open_at_a_version_and_open_errors(api: Api) -> None:
    api.create()
    api.patch("values: {a: old}\n")
    api.patch("values: {a: new}\n")
    session = body(api.call("POST", ENV + "/versions/2/open"))["id"]
    assert body(api.call("GET", f"{ENV}/open/{session}"))["properties"]["a"]["value"] == "old"
    api.create("proj", "base")
    api.patch("values: {b: 1}\n", target="/environments/acme-org/proj/base")
    api.patch("imports: [proj/base]\nvalues: {c: '${b}'}\n")
    api.call("DELETE", "/environments/acme-org/proj/base")
    failed = api.call("POST", ENV + "/open")
    assert failed.status == 400
    assert body(failed)["diagnostics"][0]["summary"] == 'unknown environment "proj/base"'


def test_check_reports_diagnostics_and_hides_secrets(api: Api) -> None:
    api.create("proj", "base")
    api.patch("values: {b: 1}\n", target="/environments/acme-org/proj/base")
    ok = api.call(
        "POST",
        f"/environments/{ORG}/yaml/check",
        f"imports: [proj/base]\nvalues:\n  s: {{fn::secret: {CANARY}}}\n",
    )
    assert ok.status == 200
    result = body(ok)
    assert result["diagnostics"] == []
    assert result["properties"]["b"]["value"] == 1
    assert result["properties"]["s"] == {
        **result["properties"]["s"],
        "value": "[secret]",
        "secret": True,
    }
    assert CANARY not in ok.body.decode()
    shown = api.call(
        "POST",
        f"/environments/{ORG}/yaml/check?showSecrets=true",
        f"values: {{s: {{fn::secret: {CANARY}}}}}\n",
    )
    assert body(shown)["properties"]["s"]["value"] == CANARY
    bad = api.call("POST", f"/environments/{ORG}/yaml/check", "values:\n  x: ${nope}\n")
    assert bad.status == 400
    assert body(bad)["diagnostics"][0]["range"]["begin"]["line"] == 2


def test_delete_removes_the_environment(api: Api) -> None:
    api.create()
    assert api.call("DELETE", ENV).status == 204
    assert api.call("GET", ENV).status == 404
    assert body(api.call("GET", f"/environments/{ORG}"))["environments"] == []
    api.create()
    assert api.call("GET", ENV).headers["Pulumi-ESC-Revision"] == "1"


def test_state_seed_and_reset(api: Api) -> None:
    api.svc.seed_environment(ORG, "proj", "dev", f"values:\n  s: {{fn::secret: {CANARY}}}\n")
    state = api.svc.state()
    json.dumps(state)
    (env,) = state["environments"]
    assert (env["organization"], env["project"], env["name"], env["revision"]) == (
        ORG,
        "proj",
        "dev",
        2,
    )
    assert CANARY not in env["yaml"] and CANARY in env["yaml_decrypted"]
    assert [r["number"] for r in env["revisions"]] == [1, 2]
    with pytest.raises(ValueError, match="secret values must be string literals") as info:
        api.svc.seed_environment(ORG, "proj", "dev", "values: {s: {fn::secret: '${x}'}}\n")
    assert CANARY not in str(info.value)
    api.svc.reset()
    assert api.svc.state() == {"organizations": [], "environments": []}


def test_no_response_but_decrypt_and_open_carries_the_secret(api: Api) -> None:
    api.create()
    api.patch(f"values:\n  s: {{fn::secret: {CANARY}}}\n  e: ${{s}}\n")
    bad = api.patch(f"values:\n  s: {{fn::secret: {CANARY}}}\n  e: ${{nope}}\n")
    conflict = api.patch("values: {}\n", ETag="stale")
    for resp in [
        api.call("GET", ENV),
        api.call("GET", f"/environments/{ORG}"),
        api.call("GET", ENV + "/versions"),
        api.call("GET", ENV + "/versions/2"),
        api.call("HEAD", ENV),
        bad,
        conflict,
        api.call(
            "POST", f"/environments/{ORG}/yaml/check", f"values: {{s: {{fn::secret: {CANARY}}}}}\n"
        ),
    ]:
        assert CANARY.encode() not in resp.body
        assert all(CANARY not in v for v in resp.headers.values())
    assert CANARY.encode() in api.call("GET", ENV + "/decrypt").body
    keeper = SecretKeeper(random.Random(3))
    assert keeper.decrypt(keeper.encrypt(CANARY)) == CANARY
    assert CANARY not in repr(keeper) and "hidden" in repr(keeper)


def test_concurrent_conditional_writes_let_exactly_one_win(api: Api) -> None:
    api.create()
    etag = api.call("GET", ENV).headers["ETag"]
    statuses: list[int] = []

    def write(i: int) -> None:
        statuses.append(api.patch(f"values: {{w: {i}}}\n", ETag=etag).status)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 7


def test_served_through_the_whole_emulator(secretsync_emulator: Any) -> None:
    emu = secretsync_emulator
    emu.seed_esc_environment(ORG, "proj", "dev", "values: {a: 1}\n")
    headers = {"Authorization": "token t"}
    resp = emu.handle(EmuRequest.build("GET", "/api/esc" + ENV, headers))
    assert resp.status == 200 and yaml.safe_load(resp.body) == {"values": {"a": 1}}
    assert emu.handle(EmuRequest.build("GET", "/api/esc" + ENV)).status == 401
    assert emu.state()["esc"]["environments"][0]["name"] == "dev"


_SECRET_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_SECRET_TEXT)
def test_secret_values_round_trip_byte_for_byte(api: Api, value: str) -> None:
    api.svc.reset()
    api.create()
    encoded = base64.b64encode(value.encode()).decode()
    lines = [f"values:\n  b64:\n    fn::fromBase64:\n      fn::secret: {quote_yaml(encoded)}\n"]
    if "$" not in value:
        lines.append(f"  lit:\n    fn::secret: {quote_yaml(value)}\n")
    assert api.patch("".join(lines)).status == 200
    session = body(api.call("POST", ENV + "/open"))["id"]
    props = body(api.call("GET", f"{ENV}/open/{session}"))["properties"]
    assert props["b64"]["value"] == value and props["b64"]["secret"] is True
    if "$" not in value:
        assert props["lit"]["value"] == value
        decrypted = yaml.safe_load(api.call("GET", ENV + "/decrypt").body)
        assert decrypted["values"]["lit"]["fn::secret"] == value


def test_revision_tags_name_revisions(api: Api) -> None:
    api.create()
    api.patch("values: {v: one}\n")
    api.patch("values: {v: two}\n")
    tags = ENV + "/versions/tags"
    assert api.call("POST", tags, {"name": "stable", "revision": 2}).status == 204
    assert api.call("POST", tags, {"name": "stable", "revision": 3}).status == 409
    assert api.call("POST", tags, {"name": "latest", "revision": 1}).status == 409
    assert api.call("POST", tags, {"name": "bad name", "revision": 1}).status == 400
    assert api.call("POST", tags, {"name": "12", "revision": 1}).status == 400
    assert api.call("POST", tags, {"name": "ghost", "revision": 9}).status == 400
    assert yaml.safe_load(api.call("GET", ENV + "/versions/stable").body) == {
        "values": {"v": "one"}
    }
    listed = body(api.call("GET", tags))["tags"]
    assert [(t["name"], t["revision"]) for t in listed] == [("latest", 3), ("stable", 2)]
    revs = {r["number"]: r["tags"] for r in body(api.call("GET", ENV + "/versions"))}
    assert revs == {3: ["latest"], 2: ["stable"], 1: []}
    api.clock.advance(5)
    assert api.call("PATCH", tags + "/stable", {"revision": 3}).status == 204
    moved = body(api.call("GET", tags + "/stable"))
    assert (moved["revision"], moved["modified"]) == (3, "2026-01-01T00:00:05Z")
    assert api.call("PATCH", tags + "/latest", {"revision": 1}).status == 400
    assert api.call("DELETE", tags + "/latest").status == 400
    assert api.call("DELETE", tags + "/stable").status == 204
    assert api.call("GET", tags + "/stable").status == 404
    assert api.call("GET", ENV + "/versions/stable").status == 404


@pytest.mark.parametrize(
    "text",
    [
        "values:\n  l: [{fn::secret: a1}, {fn::secret: 'b c'}]\n",
        "values:\n  s:\n    fn::secret: |\n      x\n      y",
        "values:\r\n  s:\r\n    fn::secret: |\r\n      x\r\n  t: 1\r\n",
        "values:\n  s: {fn::secret: !!str 123}\n",
        "values:\n  s:\n    fn::secret: >-\n      folded\n      text\n  t: 2\n",
        "values:\n  s:\n    fn::secret: plain\n      continued\n  t: 3\n",
        "values:\n  l:\n    - fn::secret: a1\n    - fn::secret: |\n        b\n    - 3\n",
    ],
    ids=["flow-seq", "block-at-eof", "crlf", "tagged", "folded", "plain-multiline", "seq"],
)
def test_secret_rewrites_keep_the_yaml_structure(api: Api, text: str) -> None:
    api.create()
    assert api.patch(text).status == 200
    stored = api.call("GET", ENV).body.decode()
    assert "ciphertext" in stored
    assert yaml.safe_load(api.call("GET", ENV + "/decrypt").body) == yaml.safe_load(text)
    assert api.patch(stored).status == 200  # what GET gave is accepted back as is
    assert yaml.safe_load(api.call("GET", ENV + "/decrypt").body) == yaml.safe_load(text)


def test_ciphertexts_use_the_service_envelope_and_refuse_tampering() -> None:
    keeper = SecretKeeper(random.Random(5))
    cipher = keeper.encrypt(CANARY)
    raw = base64.b64decode(cipher)
    assert raw[:8] == b"escx\x00\x00\x00\x01" and CANARY.encode() not in raw
    flipped = bytearray(raw)
    flipped[12] ^= 1
    for bad in [base64.b64encode(bytes(flipped)).decode(), "not base64!", cipher[:10]]:
        with pytest.raises(ValueError, match="ciphertext") as info:
            keeper.decrypt(bad)
        assert CANARY not in str(info.value)
    assert keeper.encrypt(CANARY) != cipher  # fresh nonce each time


_KEPT_VIEW_TEXTS = [
    "values:\n  l: [{fn::secret: a1}, {fn::secret: 'b c'}]\n",
    "values:\n  s:\n    fn::secret: |\n      x\n      y",
    "values:\r\n  s:\r\n    fn::secret: |\r\n      x\r\n  t: 1\r\n",
    "values:\n  s: {fn::secret: !!str 123}   # kept\n",
    "values:\n  s:\n    fn::secret: >-\n      folded\n      text\n  t: 2\n",
    "values:\n  s:\n    fn::secret: plain\n      continued\n  t: 3\n",
    'values:\n  a: {fn::secret: "tab\\there $$"}\n  x: 1\nother:\n  fn::secret: out\n',
    'values:\n  u: {fn::secret: "\\u00e9\\U0001F600\\n"}\n',
]


def _views(api: Api, text: str) -> tuple[bytes, bytes]:
    """``/decrypt`` straight after the write (the view the write kept), then again with
    nothing kept, so the stored ciphertexts are parsed and decrypted."""
    assert api.patch(text).status == 200
    kept = api.call("GET", ENV + "/decrypt").body
    env = api.svc._store.find(ORG, "proj", "dev")
    assert env is not None
    env.decrypted_cache = None
    return kept, api.call("GET", ENV + "/decrypt").body


@pytest.mark.parametrize("text", _KEPT_VIEW_TEXTS)
def test_the_decrypted_view_kept_at_write_is_what_decrypting_gives(api: Api, text: str) -> None:
    api.create()
    kept, decrypted = _views(api, text)
    assert kept == decrypted
    # Only what is under ``values`` is decrypted; a secret elsewhere stays a ciphertext.
    assert yaml.safe_load(kept)["values"] == yaml.safe_load(text)["values"]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_SECRET_TEXT, block=st.booleans())
def test_the_kept_decrypted_view_matches_for_any_value(api: Api, value: str, block: bool) -> None:
    api.svc.reset()
    api.create()
    arg = quote_yaml(value)
    text = (
        f"values:\n  s:\n    fn::secret: {arg}\n  n: 1\n"
        if block
        else (f"values: {{s: {{fn::secret: {arg}}}, n: 1}}\n")
    )
    if "$" in value:  # an interpolation the test does not mean to write
        text = text.replace("$", "$$")
    kept, decrypted = _views(api, text)
    assert kept == decrypted


def test_a_definition_sent_with_ciphertexts_is_decrypted_on_read(api: Api) -> None:
    api.create()
    assert api.patch(f"values:\n  s: {{fn::secret: {CANARY}}}\n").status == 200
    stored = api.call("GET", ENV).body.decode()
    kept, decrypted = _views(api, stored + "  t: {fn::secret: two}\n")
    assert kept == decrypted
    assert yaml.safe_load(kept)["values"] == {
        "s": {"fn::secret": CANARY},
        "t": {"fn::secret": "two"},
    }


def test_a_parsed_tree_holds_no_cycle_so_dropping_it_frees_it() -> None:
    """Nodes refer up to places, never to their container: the emulator pauses the cyclic
    collector while it builds trees, so a tree must go with its last reference."""
    import gc

    from secretsync.emulator.esc_syntax import Mapping, Scalar, parse_definition

    def nodes() -> int:
        return sum(isinstance(o, (Mapping, Scalar)) for o in gc.get_objects())

    text = "values:\n" + "".join(f"  k{i}:\n    fn::secret: v{i}\n" for i in range(50))
    gc.collect()
    before = nodes()
    was = gc.isenabled()
    gc.disable()
    try:
        root, diags = parse_definition(text, "proj/dev")
        assert diags == [] and isinstance(root, Mapping)
        assert root.entries[0][1].entries[3][1].path == "values.k3"  # type: ignore[union-attr]
        del root
        assert nodes() == before
    finally:
        if was:
            gc.enable()
