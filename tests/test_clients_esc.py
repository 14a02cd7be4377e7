"""ESC client: wire shapes pinned with respx, behaviour against the emulator."""

from __future__ import annotations

import httpx
import pytest
import respx

from secretsync.clients import USER_AGENT, EnvironmentRef, EscClient, esc_from_env
from secretsync.clients.esc import unwrap
from secretsync.emulator import Emulator, ServedEmulator
from secretsync.errors import ConflictError, CredentialsError, NotFoundError, RequestRejected

pytestmark = pytest.mark.anyio
API = "https://api.pulumi.com/api/esc"
ENV_URL = f"{API}/environments/scoobyjava-org/default/prod"
ORG, PROJECT = "scoobyjava-org", "default"
DEFINITION = """\
imports: []
values:
  sophia:
    ai:
      openai_api_key:
        fn::secret: sk-live-0123456789
  region: eu-west-1
  replicas: 3
  environmentVariables:
    OPENAI_API_KEY: ${sophia.ai.openai_api_key}
"""


@respx.mock
async def test_patch_sends_the_etag_header_and_yaml_body() -> None:
    patch = respx.patch(ENV_URL).respond(200, json={"diagnostics": []})
    async with EscClient(token="pul-abc") as esc:
        diagnostics = await esc.update_definition(
            ORG, PROJECT, "prod", "values: {}\n", etag="abc123"
        )
    assert diagnostics == []
    request = patch.calls.last.request
    assert request.headers["etag"] == "abc123"
    assert request.headers["content-type"] == "application/x-yaml"
    assert request.headers["authorization"] == "token pul-abc"
    assert request.headers["user-agent"] == USER_AGENT
    assert request.content == b"values: {}\n"


@respx.mock
async def test_patch_without_etag_sends_no_etag_header() -> None:
    patch = respx.patch(ENV_URL).respond(200, json={"diagnostics": []})
    async with EscClient(token="t") as esc:
        await esc.update_definition(ORG, PROJECT, "prod", "values: {}\n")
    assert "etag" not in patch.calls.last.request.headers


@respx.mock
async def test_listing_follows_the_continuation_token() -> None:
    def page(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("continuationToken")
        if token is None:
            return httpx.Response(
                200, json={"environments": [{"project": "default", "name": "a"}], "nextToken": "t1"}
            )
        assert token == "t1"
        return httpx.Response(
            200, json={"environments": [{"organization": ORG, "project": "infra", "name": "b"}]}
        )

    route = respx.get(f"{API}/environments/{ORG}").mock(side_effect=page)
    async with EscClient(token="t") as esc:
        refs = await esc.list_environments(ORG)
    assert refs == [EnvironmentRef(ORG, "default", "a"), EnvironmentRef(ORG, "infra", "b")]
    assert route.call_count == 2


@respx.mock
async def test_definition_at_a_version_with_decrypt_uses_the_cli_path() -> None:
    route = respx.get(f"{ENV_URL}/versions/4/decrypt").respond(
        200, text="values: {}\n", headers={"ETag": "e4", "Pulumi-ESC-Revision": "4"}
    )
    async with EscClient(token="t") as esc:
        definition = await esc.get_definition_at(ORG, PROJECT, "prod", 4, decrypt=True)
    assert (definition.etag, definition.revision) == ("e4", 4)
    assert route.calls.last.request.headers["accept"] == "application/x-yaml"


@respx.mock
async def test_401_names_the_login_command_and_404_names_the_environment() -> None:
    respx.get(ENV_URL).mock(
        side_effect=[
            httpx.Response(401, json={"code": 401, "message": "Unauthorized"}),
            httpx.Response(404, json={"code": 404, "message": "Not Found"}),
        ]
    )
    async with EscClient(token="t") as esc:
        with pytest.raises(CredentialsError) as unauthorized:
            await esc.get_definition(ORG, PROJECT, "prod")
        with pytest.raises(NotFoundError) as missing:
            await esc.get_definition(ORG, PROJECT, "prod")
    assert str(unauthorized.value) == (
        "ESC refused the token (401) trying to read environment scoobyjava-org/default/prod"
    )
    assert "secretsync login pulumi" in (unauthorized.value.hint or "")
    assert str(missing.value) == "environment scoobyjava-org/default/prod not found"


def test_unwrap_turns_evaluated_values_into_plain_data() -> None:
    evaluated = {
        "value": {
            "a": {"value": "x", "secret": True, "trace": {}},
            "b": {"value": [{"value": 1, "trace": {}}, {"value": None, "trace": {}}], "trace": {}},
        },
        "trace": {},
    }
    assert unwrap(evaluated) == {"a": "x", "b": [1, None]}


async def test_read_decrypt_write_round_trip_over_real_http(
    secretsync_emulator_server: ServedEmulator,
) -> None:
    served = secretsync_emulator_server
    served.emulator.seed_esc_environment(ORG, PROJECT, "prod", DEFINITION)
    environ = {"PULUMI_ACCESS_TOKEN": "pul-t", "SECRETSYNC_ESC_API_URL": served.esc_url}
    async with esc_from_env(environ) as esc:
        assert await esc.list_environments(ORG) == [EnvironmentRef(ORG, PROJECT, "prod")]
        plain = await esc.get_definition(ORG, PROJECT, "prod")
        decrypted = await esc.get_definition(ORG, PROJECT, "prod", decrypt=True)
        assert "sk-live-0123456789" not in plain.yaml  # ciphertext at rest
        assert "sk-live-0123456789" in decrypted.yaml
        assert decrypted.etag == plain.etag and decrypted.etag
        assert "sk-live-0123456789" not in repr(decrypted)
        updated = decrypted.yaml.replace("eu-west-1", "us-east-2")
        assert await esc.update_definition(ORG, PROJECT, "prod", updated, etag=decrypted.etag) == []
        after = await esc.get_definition(ORG, PROJECT, "prod")
        assert after.revision == (plain.revision or 0) + 1
        assert after.etag != plain.etag
        values = await esc.open_and_read(ORG, PROJECT, "prod")
    assert values["sophia"]["ai"]["openai_api_key"] == "sk-live-0123456789"
    assert values["region"] == "us-east-2"
    assert values["replicas"] == 3
    assert values["environmentVariables"] == {"OPENAI_API_KEY": "sk-live-0123456789"}


async def test_stale_etag_is_a_conflict_and_is_not_retried(secretsync_emulator: Emulator) -> None:
    emu = secretsync_emulator
    emu.seed_esc_environment(ORG, PROJECT, "prod", DEFINITION)
    async with EscClient(token="t", transport=emu.transport()) as esc:
        first = await esc.get_definition(ORG, PROJECT, "prod", decrypt=True)
        await esc.update_definition(
            ORG, PROJECT, "prod", first.yaml + "  other: 1\n", etag=first.etag
        )
        with pytest.raises(ConflictError) as caught:
            await esc.update_definition(ORG, PROJECT, "prod", first.yaml, etag=first.etag)
    assert str(caught.value) == (
        "environment scoobyjava-org/default/prod changed since it was read (stale ETag)"
    )
    assert caught.value.hint == "re-read the environment and apply the change again"
    assert caught.value.after_unanswered is False  # one attempt, answered: nothing applied
    patches = [e["status"] for e in emu.request_log() if e["method"] == "PATCH"]
    assert patches == [200, 409]


async def test_invalid_definition_is_rejected_with_diagnostics(
    secretsync_emulator: Emulator,
) -> None:
    emu = secretsync_emulator
    emu.seed_esc_environment(ORG, PROJECT, "prod", DEFINITION)
    broken = "values:\n  a: ${nowhere.to.be.found}\n"
    async with EscClient(token="t", transport=emu.transport()) as esc:
        before = await esc.get_definition(ORG, PROJECT, "prod")
        checked = await esc.check_yaml(ORG, broken)
        with pytest.raises(RequestRejected) as caught:
            await esc.update_definition(ORG, PROJECT, "prod", broken)
        assert await esc.check_yaml(ORG, DEFINITION) == []
        unchanged = await esc.get_definition(ORG, PROJECT, "prod")
    assert checked and checked[0].line == 2 and checked[0].path == "values.a"
    assert caught.value.diagnostics == checked  # type: ignore[attr-defined]
    assert str(caught.value).startswith(
        "ESC rejected the definition of environment scoobyjava-org/default/prod: 2:"
    )
    assert (unchanged.etag, unchanged.revision) == (before.etag, before.revision)  # nothing stored


async def test_revisions_and_definition_at_a_version(secretsync_emulator: Emulator) -> None:
    emu = secretsync_emulator
    emu.seed_esc_environment(ORG, PROJECT, "prod", DEFINITION)
    async with EscClient(token="t", transport=emu.transport()) as esc:
        current = await esc.get_definition(ORG, PROJECT, "prod", decrypt=True)
        await esc.update_definition(
            ORG, PROJECT, "prod", "values:\n  only: this\n", etag=current.etag
        )
        revisions = await esc.list_revisions(ORG, PROJECT, "prod")
        older = await esc.get_definition_at(ORG, PROJECT, "prod", current.revision or 0)
    numbers = [r.number for r in revisions]
    assert numbers == sorted(numbers, reverse=True) and numbers[0] == (current.revision or 0) + 1
    assert revisions[0].tags == ("latest",)
    assert older.revision == current.revision
    assert "region: eu-west-1" in older.yaml


async def test_create_delete_and_clear_errors(secretsync_emulator: Emulator) -> None:
    emu = secretsync_emulator
    emu.seed_esc_environment(ORG, PROJECT, "prod", DEFINITION)
    async with EscClient(token="t", transport=emu.transport()) as esc:
        await esc.create_environment(ORG, PROJECT, "staging")
        with pytest.raises(
            ConflictError, match="environment scoobyjava-org/default/staging already exists"
        ):
            await esc.create_environment(ORG, PROJECT, "staging")
        assert {r.name for r in await esc.list_environments(ORG)} == {"prod", "staging"}
        await esc.delete_environment(ORG, PROJECT, "staging")
        with pytest.raises(
            NotFoundError, match=r"^environment scoobyjava-org/default/staging not found$"
        ):
            await esc.open_and_read(ORG, PROJECT, "staging")
        assert esc.request_count == len(emu.request_log())


async def test_roll_back_by_writing_an_earlier_revision(secretsync_emulator: Emulator) -> None:
    """The emergency procedure of docs/SECRET_MANAGEMENT.md, through the client."""
    emu = secretsync_emulator
    emu.seed_esc_environment(ORG, PROJECT, "prod", DEFINITION)
    async with EscClient(token="t", transport=emu.transport()) as esc:
        good = await esc.get_definition(ORG, PROJECT, "prod", decrypt=True)
        broken = good.yaml.replace("sk-live-0123456789", "changeme")
        await esc.update_definition(ORG, PROJECT, "prod", broken, etag=good.etag)
        current = await esc.get_definition(ORG, PROJECT, "prod")
        old = await esc.get_definition_at(ORG, PROJECT, "prod", good.revision or 0, decrypt=True)
        assert "sk-live-0123456789" in old.yaml
        await esc.update_definition(ORG, PROJECT, "prod", old.yaml, etag=current.etag)
        values = await esc.open_and_read(ORG, PROJECT, "prod")
        revisions = await esc.list_revisions(ORG, PROJECT, "prod")
    assert values["sophia"]["ai"]["openai_api_key"] == "sk-live-0123456789"
    assert len(revisions) == (good.revision or 0) + 2
