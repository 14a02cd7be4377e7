"""The file scan: every extractor with exact positions, the rules, the file policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretsync.errors import UsageError
from secretsync.scan.formats import extract, format_of
from secretsync.scan.paths import discover, placeholders_expected, skip_reason
from secretsync.scan.scanner import Finding, looks_random, scan_file, scan_files, scan_text

# Built at run time so no scanner (ours, GitHub push protection) sees a token in this file.
CANARY = "ghp_" + "k9Xq2Lm7Wv4Rt8Yp3Nz6Bc1Hd5Jf0Gs7Ua2Q"


def where(findings: list[Finding]) -> list[tuple[int, int, str, str, str]]:
    return [(f.line, f.column, f.rule, f.key, f.kind) for f in findings]


def candidates(name: str, text: str) -> list[tuple[str, str, int, int]]:
    """(key, value, line, column) of every extracted value."""
    out = []
    for c in extract(name, text):
        line = text.count("\n", 0, c.offset) + 1
        column = c.offset - (text.rfind("\n", 0, c.offset) + 1) + 1
        out.append((c.key, c.value, line, column))
    return out


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        (".env", "env"),
        (".env.production", "env"),
        ("prod.env", "env"),
        ("app.YAML", "yaml"),
        ("x.yml", "yaml"),
        ("tsconfig.json", "json"),
        ("pyproject.toml", "toml"),
        ("main.py", "code"),
        ("index.tsx", "code"),
        ("Dockerfile", "text"),
        ("settings.ini", "text"),
    ],
)
def test_format_of(name: str, fmt: str) -> None:
    assert format_of(name) == fmt


# Each case: a file's text, the (key, value, line, column) candidates it must yield, and
# keys that must yield none. The ids are the names these cases had as separate tests.
EXTRACTOR_CASES = [
    pytest.param(
        ".env",
        "# a comment: KEY=ignored? no, comments are not assignments\n"
        "export API_KEY=changeme\n"
        'PEM="-----BEGIN\\nline"\n'
        "SINGLE='raw \\n kept'\n"
        "EMPTY=\n",
        [
            ("API_KEY", "changeme", 2, 16),
            ("PEM", "-----BEGIN\nline", 3, 6),
            ("SINGLE", "raw \\n kept", 4, 9),
            ("EMPTY", "", 5, 7),  # an empty value is extracted: empty-value judges it
        ],
        [],
        id="env_extractor_positions_quotes_and_escapes",
    ),
    pytest.param(
        "c.yaml",
        "name: example\n"
        "github:\n"
        "  token: 'quoted'\n"
        "  keys:\n"
        "    - first\n"
        "    - second\n"
        "count: 3\n"
        "block: |\n"
        "  multi\n"
        "---\n"
        "other_doc: plain\n",
        [
            ("name", "example", 1, 7),
            ("token", "quoted", 3, 11),
            ("keys", "first", 5, 7),
            ("keys", "second", 6, 7),
            ("block", "multi\n", 8, 8),
            ("other_doc", "plain", 11, 12),
        ],
        ["count"],  # an int is not a string value
        id="yaml_extractor_uses_node_positions",
    ),
    pytest.param(
        "chart.yaml",
        "api_key: {{ .Values.key }\npassword: changeme\n",
        [("password", "changeme", 2, 11)],
        [],
        id="yaml_that_does_not_parse_falls_back_to_lines",
    ),
    pytest.param(
        "c.json",
        '{\n  "name": "x",\n  "auth": {"apiKey": "a\\"b", "n": 1}\n}\n',
        [("name", "x", 2, 12), ("apiKey", 'a"b', 3, 23)],
        [],
        id="json_extractor_positions_and_escapes",
    ),
    pytest.param(
        "pyproject.toml",
        "[tool.x]\n"
        'api_token = "changeme"\n'
        "literal = 'C:\\path'\n"
        'multi = """\n'
        "two\n"
        'lines"""\n'
        'inline = { secret = "s", n = 1 }\n'
        'list = ["a", "b"]\n'
        'bad = "unterminated\n',
        [
            ("api_token", "changeme", 2, 13),
            ("literal", "C:\\path", 3, 11),
            ("multi", "two\nlines", 4, 9),
            ("secret", "s", 7, 10),
            ("list", "a", 8, 8),
            ("list", "b", 8, 8),
        ],
        ["bad"],
        id="toml_extractor_statement_lines",
    ),
    pytest.param(
        "settings.ini",
        "[db]\npassword = hunter2x\nENV API_TOKEN=changeme\nurl: http://x\n",
        [("password", "hunter2x", 2, 12), ("API_TOKEN", "changeme", 3, 15)],
        [],
        id="generic_text_lines",
    ),
]


@pytest.mark.parametrize(("name", "text", "present", "absent_keys"), EXTRACTOR_CASES)
def test_extractor(
    name: str, text: str, present: list[tuple[str, str, int, int]], absent_keys: list[str]
) -> None:
    found = candidates(name, text)
    for expected in present:
        assert expected in found
    for absent in absent_keys:
        assert all(key != absent for key, *_ in found)


def test_yaml_aliases_are_read_once() -> None:
    text = "base: &b\n  token: changeme\ncopy: *b\n"
    found = candidates("x.yaml", text)
    assert found.count(("token", "changeme", 2, 10)) == 1


def test_python_extractor_forms() -> None:
    text = (
        "API_KEY = 'one'\n"
        'token: str = "two"\n'
        "client(api_key=\"three\", name='n')\n"
        "cfg = {'secret_key': 'four'}\n"
        "self.password = r'fi\\ve'\n"
        "os.environ['DB_PASS'] = 'six'\n"
        "x = os.getenv('OTHER_TOKEN', 'seven')\n"
        "if token == 'no': pass\n"
        "msg = f'token={token}'\n"
        "data = b'bytes'\n"
        "esc = 'a\\tb'\n"
    )
    found = candidates("m.py", text)
    assert ("API_KEY", "one", 1, 12) in found
    assert ("token", "two", 2, 15) in found
    assert ("api_key", "three", 3, 17) in found
    assert ("name", "n", 3, 31) in found
    assert ("secret_key", "four", 4, 23) in found
    assert ("password", "fi\\ve", 5, 19) in found
    assert ("DB_PASS", "six", 6, 26) in found
    assert ("OTHER_TOKEN", "seven", 7, 31) in found
    assert ("esc", "a\tb", 11, 8) in found
    values = {value for _, value, *_ in found}
    assert not {"no", "bytes"} & values
    assert not any("{token}" in value for value in values)


def test_js_and_go_extractor_forms() -> None:
    text = (
        'const apiKey: string = "one";\n'
        "const cfg = { clientSecret: 'two', name: \"n\" };\n"
        "let t = process.env.GH_TOKEN || 'three';\n"
        "const u = `tmpl`;\n"
        "const v = `has ${x}`;\n"
    )
    found = candidates("a.ts", text)
    assert ("apiKey", "one", 1, 25) in found
    assert ("clientSecret", "two", 2, 30) in found
    assert ("name", "n", 2, 43) in found
    assert ("GH_TOKEN", "three", 3, 34) in found
    assert ("u", "tmpl", 4, 12) in found
    assert not any("${" in value for _, value, *_ in found)
    go = 'apiKey := "one"\nvar Password string = "two"\n'
    assert candidates("m.go", go) == [("apiKey", "one", 1, 12), ("Password", "two", 2, 24)]


# Each case: a file's text and every (line, column, rule, key, kind) the scan reports.
# The ids are the names these cases had as separate tests.
FINDING_CASES = [
    pytest.param(
        "config.yaml",
        "name: example\napi_key: changeme\nopenai_api_key: sk-xxxxxxxxxxxxxxxxxxxx\n",
        [
            (2, 10, "placeholder", "api_key", "word:changeme"),
            (3, 17, "placeholder", "openai_api_key", "provider-placeholder:openai"),
        ],
        id="rules_placeholder_only_under_secret_bearing_keys",
    ),
    pytest.param(
        "app.yaml",
        f"github_token: {CANARY}\n"
        f"description: {CANARY}\n"
        "db_password: Xk9#mQ2vL8pZ\n"
        "nickname: Xk9#mQ2vL8pZ\n",
        [
            (1, 15, "hardcoded-secret", "github_token", "github"),
            (2, 14, "hardcoded-secret", "description", "github"),
            (3, 14, "hardcoded-secret", "db_password", "high-entropy"),
        ],
        id="rules_hardcoded_secret_by_provider_anywhere_and_entropy_under_key",
    ),
    pytest.param(
        "c.json",
        '{"apiKey": "<your-api-key>"}',
        [(1, 13, "placeholder", "apiKey", "template:angle")],
        id="angle_placeholder_is_a_finding",
    ),
    pytest.param(
        "m.py",
        "API_KEY = 'changeme'  # secretsync: ignore\n"
        "PASSWORD = 'changeme'\n"
        "const token = 'changeme'; // secretsync:ignore\n",
        [(2, 13, "placeholder", "PASSWORD", "word:changeme")],
        id="inline_suppression_in_any_comment_style",
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), FINDING_CASES)
def test_findings(name: str, text: str, expected: list[tuple[int, int, str, str, str]]) -> None:
    assert where(scan_text(name, text)) == expected


def test_references_templates_hashes_and_uuids_are_not_findings() -> None:
    text = (
        "token: ${GH_TOKEN}\n"
        "integrity: sha512-Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==\n"
        "checksum: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "request_id: 3f2a9c1e-7b4d-4e8a-9c2f-1a5b6d7e8f90\n"
        "token_type: bearer\n"
        "password_pattern: '^[A-Za-z0-9]{12,}$'\n"
        "key: America/Los_Angeles\n"
    )
    assert scan_text("deploy.yaml", text) == []


TEMPLATE_LINES = (
    "workflow_token: ${{ secrets.GH_TOKEN }}\n"
    "api_key: '{{ .Values.apiKey }}'\n"
    "db_password: '%(DB_PASSWORD)s'\n"
    "smtp_password: '#{SmtpPassword}#'\n"
    "jwt_secret: __JWT_SECRET__\n"
    "redis_password: '@redis.password@'\n"
    "session_secret: $(cat /run/secrets/session)\n"
)


@pytest.mark.parametrize(
    ("path", "fine"),
    [
        # a file no tool renders: every template was left behind
        ("deploy.yaml", set()),
        ("config/app.yaml", set()),
        # the file its tool renders: that tool's template is how the value comes in
        (".github/workflows/deploy.yml", {"template:github-actions", "template:command"}),
        ("charts/app/templates/secret.yaml", "all"),
        ("roles/web/templates/app.yaml.j2", "all"),
        ("deploy/app.yaml.tpl", "all"),
        ("src/main/resources/application.yaml", {"template:at"}),
    ],
)
def test_templates_are_fine_only_where_their_tool_renders(path: str, fine: object) -> None:
    found = {f.kind for f in scan_text(path, TEMPLATE_LINES)}
    every = {
        "template:github-actions",
        "template:jinja",
        "template:printf",
        "template:replace-tokens",
        "template:dunder",
        "template:at",
        "template:command",
    }
    expected = set() if fine == "all" else every - set(fine)  # type: ignore[arg-type]
    assert found == expected


def test_kubernetes_dependent_variables_are_not_placeholders() -> None:
    text = "env:\n  - name: DB_PASSWORD\n    value: $(POSTGRES_PASSWORD)\n"
    assert scan_text("k8s/deployment.yaml", text) == []
    assert [f.kind for f in scan_text(".env", "DB_PASSWORD=$(POSTGRES_PASSWORD)\n")] == [
        "template:command"
    ]


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_app.py",
        "pkg/test_app.py",
        "app_test.go",
        "web/app.spec.ts",
        "conftest.py",
        "docs/setup.md",
        "README.md",
        ".env.example",
        "config.sample.yaml",
        "fixtures/data.json",
    ],
)
def test_placeholders_expected_in_tests_docs_and_examples(path: str) -> None:
    assert placeholders_expected(path)
    template = {"yaml": "api_key: {}\n", "json": '{{"api_key": "{}"}}\n'}
    text = template.get(format_of(path), "api_key = '{}'\n")
    assert scan_text(path, text.format("changeme")) == []
    # A real secret is still reported there.
    found = scan_text(path, text.format(CANARY))
    assert [f.rule for f in found] == ["hardcoded-secret"]


@pytest.mark.parametrize("path", ["app.py", "config/prod.yaml", ".env", "src/latest.py"])
def test_placeholders_reported_in_real_config(path: str) -> None:
    assert not placeholders_expected(path)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("package-lock.json", "lockfile or generated"),
        ("web/yarn.lock", "lockfile or generated"),
        ("dist/app.min.js", "lockfile or generated"),
        ("logo.png", "binary"),
        ("node_modules/x/index.js", "vendored"),
        ("app.py", None),
    ],
)
def test_skip_reason(path: str, reason: str | None) -> None:
    assert skip_reason(path) == reason


def test_scan_file_binary_large_and_undecodable(tmp_path: Path) -> None:
    binary = tmp_path / "blob.dat"
    binary.write_bytes(b"api_key=changeme\0\x01\x02")
    assert scan_file(binary, "blob.dat").skipped == "binary"

    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    assert scan_file(big, "big.txt").skipped == "larger than 1024 KiB"

    latin = tmp_path / "legacy.cfg"
    latin.write_bytes(b"# caf\xe9\n\npassword = changeme\n")
    result = scan_file(latin, "legacy.cfg")
    assert result.warning == "legacy.cfg:1: not valid UTF-8; scanned with replacement characters"
    assert where(list(result.findings)) == [(3, 12, "placeholder", "password", "word:changeme")]


def test_subset_invariance(tmp_path: Path) -> None:
    """pre-commit's batches: scanning files together or one by one gives the same findings."""
    files = {
        "a.py": f"API_KEY = 'changeme'\nTOKEN = '{CANARY}'\n",
        "b.yaml": "password: changeme\nname: example\n",
        "tests/test_c.py": "secret = 'xxxxxxxx'\n",
        ".env": f"GH_TOKEN={CANARY}\n",
        "d.json": '{"apiKey": "<key>"}\n',
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    pairs = [(tmp_path / name, name) for name in files]
    together = scan_files(pairs).findings
    one_by_one = sorted(f for pair in pairs for f in scan_files([pair]).findings)
    assert together == one_by_one
    assert len(together) == 5


def test_findings_never_hold_the_value() -> None:
    text = f"token = '{CANARY}'\nsecret = 'Xk9#mQ2vL8pZ'\n"
    found = scan_text("m.py", text, salt=b"s" * 32)
    assert [f.kind for f in found] == ["github", "high-entropy"]
    for finding in found:
        shown = repr(finding) + str(finding.to_dict()) + str(finding)
        assert CANARY not in shown and "Xk9#mQ2vL8pZ" not in shown
        assert finding.value_hash and finding.value_hash not in shown


def test_a_secret_shaped_key_is_not_printed() -> None:
    other = "ghp_" + "Zr4Tq8Wm2Xn6Yb0Vc3Ud7Se1Fa5Gh9Jk2Lp4"
    found = scan_text("x.yaml", f"{CANARY}: {other}\n")
    assert [(f.key, f.kind) for f in found] == [("a key", "github")]
    assert CANARY not in found[0].message


@pytest.mark.parametrize(
    ("value", "random"),
    [
        ("Xk9#mQ2vL8pZ", True),
        ("e3b0c44298fc1c149afbf4c8996fb924", True),
        ("pbkdf2_sha256", False),
        ("OPENAI_API_KEY", False),
        ("not a secret at all 123", False),
        ("^[a-z0-9]{3,}$", False),
        ("short1A", False),
    ],
)
def test_looks_random(value: str, random: bool) -> None:
    assert looks_random(value) is random


def test_discover_named_files_folders_and_unknown(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x = 1\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "b.js").write_text("x = 1\n")
    (tmp_path / "c.txt").write_text("x\n")
    shown = [name for _, name in discover(["src", "c.txt"], cwd=tmp_path)]
    assert shown == ["c.txt", "src/a.py"]
    walked = [name for _, name in discover([], cwd=tmp_path)]  # not a git repository
    assert walked == ["c.txt", "src/a.py"]
    with pytest.raises(UsageError, match=r"no such file or directory: missing\.py"):
        discover(["missing.py"], cwd=tmp_path)


def test_discover_outside_cwd_is_relative_so_parents_do_not_count(tmp_path: Path) -> None:
    """A checkout under /home/x/tests/ or /srv/vendor/ is not a test or vendored file."""
    outer = tmp_path / "tests" / "vendor" / "project"
    (outer / "config").mkdir(parents=True)
    (outer / "config" / "app.yaml").write_text("api_key: changeme\n", encoding="utf-8")
    work = outer / "work"
    work.mkdir()
    ((path, shown),) = discover(["../config/app.yaml"], cwd=work)
    assert shown == "../config/app.yaml"
    assert skip_reason(shown) is None and not placeholders_expected(shown)
    assert [f.rule for f in scan_file(path, shown).findings] == ["placeholder"]


def test_a_literal_inside_a_larger_expression_is_not_a_value() -> None:
    text = (
        "use_token = 'keyring' in chosen\n"
        "token = 'a' if flag else 'b'\n"
        "api_key = 'changeme'  # trailing comment\n"
        "call(password='changeme', other=1)\n"
    )
    assert [(k, line) for k, _, line, _ in candidates("m.py", text)] == [
        ("api_key", 3),
        ("password", 4),
    ]


def test_fixture_files_report_only_provider_format_secrets() -> None:
    text = f"TOKEN = '{CANARY}'\nPASSWORD = 'Xk9#mQ2vL8pZ'\nAPI_KEY = 'changeme'\n"
    assert where(scan_text("tests/test_x.py", text)) == [
        (1, 10, "hardcoded-secret", "TOKEN", "github")
    ]
    assert [f.kind for f in scan_text("app.py", text)] == [
        "github",
        "high-entropy",
        "word:changeme",
    ]


def test_enum_like_constants_in_code_are_not_placeholders() -> None:
    text = "SECRET = 'secret'\nPASSWORD = 'password'\n"
    assert scan_text("kinds.py", text) == []
    assert [f.kind for f in scan_text(".env", "SECRET=secret\n")] == ["self-named"]


def test_candidate_repr_holds_neither_value_nor_key() -> None:
    [candidate] = list(extract("x.yaml", f"{CANARY}: {CANARY[::-1]}\n"))
    shown = repr(candidate) + str(candidate) + f"{[candidate]}"
    assert CANARY not in shown and CANARY[::-1] not in shown
    assert f"offset={candidate.offset}" in shown


_BREAKS = {"LS": "\u2028", "PS": "\u2029", "NEL": "\x85", "CR": "\r", "CRLF": "\r\n"}


@pytest.mark.parametrize("brk", _BREAKS.values(), ids=list(_BREAKS))
def test_yaml_positions_and_ignore_count_yaml_line_breaks(brk: str) -> None:
    text = f"x: 1{brk}API_KEY: changeme # secretsync: ignore\nDB_PASSWORD: changeme\n"
    found = scan_text("config/app.yaml", text)
    assert [(f.line, f.column, f.key) for f in found] == [(3, 14, "DB_PASSWORD")]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        # A lone CR ends a line for .env, code and TOML readers; U+2028 and form feed do not.
        ("a.env", "A=1\rAPI_KEY=changeme # secretsync: ignore\rDB_PASSWORD=changeme\r", (3, 13)),
        (
            "a.py",
            "x = 1\rAPI_KEY = 'changeme'  # secretsync: ignore\rDB_PASSWORD = 'changeme'\r",
            (3, 16),
        ),
        ("a.toml", 'a = "x\u2028y"\nDB_PASSWORD = "changeme"\n', (2, 15)),
        ("a.py", "\x0c\nx = '\u2028'\nDB_PASSWORD = 'changeme'\n", (3, 16)),
    ],
)
def test_other_formats_count_universal_newlines(
    name: str, text: str, expected: tuple[int, int]
) -> None:
    found = scan_text(name, text)
    assert [(f.line, f.column, f.key) for f in found] == [(*expected, "DB_PASSWORD")]


@pytest.mark.parametrize("text", ["\ufeffapi_key: 'changeme'\n", 'a: 1\u2028b: ["x", changeme]\n'])
def test_yaml_offsets_point_at_the_value(text: str) -> None:
    for candidate in extract("a.yaml", text):
        assert text[candidate.offset :].startswith(candidate.value)


def test_short_literals_and_character_sets_in_code_are_not_placeholders() -> None:
    code = (
        'KEY_F1 = "\\x01"\n'
        'key_separator = ":"\n'
        '_LegalKeyChars = r"\\w\\d!#%&\'~_`><@,:/\\$\\*\\+\\-\\.\\^\\|\\)\\(\\?\\}\\{\\="\n'
        'SECRET = "secret"\n'
    )
    assert scan_text("curses_keys.py", code) == []
    assert scan_text("help.html", '<a accesskey="s" href="#">x</a>\n') == []
    # The same shapes in configuration are still findings.
    assert [f.kind for f in scan_text(".env", "DB_PASSWORD=abc\n")] != []
    assert [f.kind for f in scan_text("app.yaml", "api_key: abcdefgh12345678\n")] != []
