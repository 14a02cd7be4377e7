"""``secretsync login`` / ``logout``: tokens from a prompt or stdin into the keyring."""

from __future__ import annotations

import io

import keyring
import pytest
from keyring.backends import fail

from secretsync.cli.app import App
from secretsync.cli.main import main

TOKEN = "ghp_canaryTOKEN0123456789abcdef"


class TtyInput(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(
    *argv: str, stdin: io.StringIO | None = None, environ: dict[str, str] | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    app = App(environ=environ or {}, stdout=out, stderr=err, stdin=stdin or io.StringIO(""))
    code = main(list(argv), app=app)
    return code, out.getvalue(), err.getvalue()


def test_login_from_piped_stdin_stores_the_token() -> None:
    code, out, err = _run("login", "github", stdin=io.StringIO(TOKEN + "\n"))
    assert code == 0
    assert keyring.get_password("secretsync", "github") == TOKEN
    assert "stored the GitHub token in the OS keyring" in err
    assert TOKEN not in out + err


def test_login_on_a_terminal_uses_a_hidden_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str, stream: object = None) -> str:
        prompts.append(prompt)
        return "pul-" + TOKEN

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    code, out, err = _run("login", "pulumi", stdin=TtyInput(""))
    assert code == 0
    assert prompts == ["Pulumi token: "]
    assert keyring.get_password("secretsync", "pulumi") == "pul-" + TOKEN
    assert TOKEN not in out + err


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("", "error: no GitHub token given"),
        ("  \n", "error: no GitHub token given"),
        (f"{TOKEN}\n{TOKEN}\n", "error: the GitHub token must be a single line"),
        (f"{TOKEN} extra", "error: that does not look like a GitHub token"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(given: str, message: str) -> None:
    code, out, err = _run("login", "github", stdin=io.StringIO(given))
    assert code == 2
    assert err.splitlines()[0].startswith(message)
    assert keyring.get_password("secretsync", "github") is None
    assert TOKEN not in out + err


def test_no_token_flag_exists() -> None:
    code, _out, err = _run("login", "github", "--token", TOKEN)
    assert code == 2
    assert "unrecognized arguments" in err
    assert keyring.get_password("secretsync", "github") is None


def test_login_notes_an_environment_token_that_takes_precedence() -> None:
    code, _, err = _run("login", "github", stdin=io.StringIO(TOKEN), environ={"GH_TOKEN": "x"})
    assert code == 0
    assert "GH_TOKEN is set and takes precedence over the keyring" in err


def test_logout_removes_and_is_quiet_about_absence() -> None:
    keyring.set_password("secretsync", "github", TOKEN)
    code, _, err = _run("logout", "github")
    assert (code, err.strip()) == (0, "removed the GitHub token from the OS keyring")
    assert keyring.get_password("secretsync", "github") is None
    code, _, err = _run("logout", "github")
    assert (code, err.strip()) == (0, "not logged in to GitHub: the keyring holds no token")


def test_without_a_keyring_login_fails_with_a_hint() -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    code, _, err = _run("login", "pulumi", stdin=io.StringIO(TOKEN))
    assert code == 2
    assert err.splitlines() == [
        "error: no OS keyring is available on this system",
        "hint: set PULUMI_ACCESS_TOKEN in the environment instead",
    ]


def test_logout_without_a_keyring_has_nothing_to_remove() -> None:
    # The docs promise exit 0 when there is nothing to remove; with no keyring at all there
    # never was anything (login refuses there, see above).
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    code, _, err = _run("logout", "github")
    assert code == 0
    assert err.splitlines() == [
        "not logged in to GitHub: this system has no OS keyring, so no token is stored"
    ]
