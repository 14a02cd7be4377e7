"""The official ``pulumi-esc-sdk``, unmodified, against the served emulator."""

from __future__ import annotations

import base64
from typing import Any

import pytest

esc = pytest.importorskip("pulumi_esc_sdk")

ORG, PROJECT, ENV = "acme-org", "proj", "dev"
CANARY = "sdk-canary-$$-${not}-interpolated"


@pytest.fixture
def client(secretsync_emulator_server: Any) -> Any:
    config = esc.Configuration(host=secretsync_emulator_server.esc_url, access_token="test-token")
    return esc.EscClient(config)


def test_create_update_get_decrypt_open_and_list(
    client: Any, secretsync_emulator_server: Any
) -> None:
    client.create_environment(ORG, PROJECT, ENV)
    encoded = base64.b64encode(CANARY.encode()).decode()
    definition = (
        "values:\n"
        "  app:\n"
        "    url: https://example.test\n"
        "    token:\n"
        "      fn::fromBase64:\n"
        f"        fn::secret: {encoded}\n"
        "  environmentVariables:\n"
        "    APP_TOKEN: ${app.token}\n"
        "    APP_URL: ${app.url}\n"
    )
    diagnostics = client.update_environment_yaml(ORG, PROJECT, ENV, definition)
    assert not diagnostics.diagnostics

    definition_model, raw = client.get_environment(ORG, PROJECT, ENV)
    assert CANARY.encode() not in raw and encoded.encode() not in raw
    token = definition_model.values.additional_properties["app"]["token"]
    assert set(token["fn::fromBase64"]["fn::secret"]) == {"ciphertext"}

    decrypted, _ = client.decrypt_environment(ORG, PROJECT, ENV)
    assert decrypted.values.additional_properties["app"]["token"] == {
        "fn::fromBase64": {"fn::secret": encoded}
    }

    environment, values, _ = client.open_and_read_environment(ORG, PROJECT, ENV)
    assert values["app"]["token"] == CANARY
    assert values["environmentVariables"] == {
        "APP_TOKEN": CANARY,
        "APP_URL": "https://example.test",
    }
    assert environment.properties["app"].value["token"]["secret"] is True

    listed = client.list_environments(ORG)
    assert [(e.project, e.name) for e in listed.environments] == [(PROJECT, ENV)]
    assert listed.next_token is None

    revisions = client.list_environment_revisions(ORG, PROJECT, ENV)
    assert [r.number for r in revisions] == [2, 1]
    log = secretsync_emulator_server.emulator.request_log()
    assert any(entry["method"] == "PATCH" for entry in log)


def test_version_property_and_check(client: Any) -> None:
    client.create_environment(ORG, PROJECT, ENV)
    client.update_environment_yaml(ORG, PROJECT, ENV, "values:\n  n: 1\n  s: {fn::secret: x}\n")
    client.update_environment_yaml(ORG, PROJECT, ENV, "values:\n  n: 2\n  s: {fn::secret: y}\n")
    old, _ = client.get_environment_at_version(ORG, PROJECT, ENV, "2")
    assert old.values.additional_properties["n"] == 1
    _, values, _ = client.open_and_read_environment_at_version(ORG, PROJECT, ENV, "2")
    assert values == {"n": 1, "s": "x"}
    opened = client.open_environment(ORG, PROJECT, ENV)
    value, plain = client.read_open_environment_property(ORG, PROJECT, ENV, opened.id, "s")
    assert (plain, value.secret) == ("y", True)
    client.create_environment_revision_tag(ORG, PROJECT, ENV, "stable", 2)
    tagged, _ = client.get_environment_at_version(ORG, PROJECT, ENV, "stable")
    assert tagged.values.additional_properties["n"] == 1
    client.update_environment_revision_tag(ORG, PROJECT, ENV, "stable", 3)
    assert client.get_environment_revision_tag(ORG, PROJECT, ENV, "stable").revision == 3
    names = [t.name for t in client.list_environment_revision_tags(ORG, PROJECT, ENV).tags]
    assert names == ["latest", "stable"]
    client.delete_environment_revision_tag(ORG, PROJECT, ENV, "stable")
    checked = client.check_environment_yaml(ORG, "values:\n  a: ${missing}\n")
    assert [d.summary for d in checked.diagnostics] == ['unknown property "missing"']


def test_errors_surface_as_api_exceptions(client: Any) -> None:
    client.create_environment(ORG, PROJECT, ENV)
    with pytest.raises(esc.ApiException) as conflict:
        client.create_environment(ORG, PROJECT, ENV)
    assert conflict.value.status == 409
    with pytest.raises(esc.ApiException) as rejected:
        client.update_environment_yaml(ORG, PROJECT, ENV, "values: {s: {fn::secret: '${x}'}}\n")
    assert rejected.value.status == 400
    assert rejected.value.data.diagnostics[0].range.begin.line == 1
    with pytest.raises(esc.ApiException) as missing:
        client.get_environment(ORG, PROJECT, "nope")
    assert missing.value.status == 404
    client.delete_environment(ORG, PROJECT, ENV)
    assert client.list_environments(ORG).environments == []


def test_environment_tags_create_list_get_update_delete(client: Any) -> None:
    client.create_environment(ORG, PROJECT, ENV)
    created = client.create_environment_tag(ORG, PROJECT, ENV, "team", "payments")
    assert (created.name, created.value) == ("team", "payments")
    client.create_environment_tag(ORG, PROJECT, ENV, "tier", "gold")
    listed = client.list_environment_tags(ORG, PROJECT, ENV)
    assert {n: t.value for n, t in listed.tags.items()} == {"team": "payments", "tier": "gold"}
    assert listed.next_token == ""
    page = client.list_environment_tags(ORG, PROJECT, ENV, count=1)
    assert list(page.tags) == ["team"] and page.next_token == "team"
    rest = client.list_environment_tags(ORG, PROJECT, ENV, after=page.next_token)
    assert list(rest.tags) == ["tier"]
    assert client.get_environment_tag(ORG, PROJECT, ENV, "tier").value == "gold"

    moved = client.update_environment_tag(ORG, PROJECT, ENV, "team", "payments", "owner", "")
    assert (moved.name, moved.value) == ("owner", "payments")  # empty value: unchanged
    with pytest.raises(esc.ApiException) as stale:  # the current value no longer matches
        client.update_environment_tag(ORG, PROJECT, ENV, "owner", "billing", "", "ledger")
    assert stale.value.status == 400
    client.delete_environment_tag(ORG, PROJECT, ENV, "owner")
    with pytest.raises(esc.ApiException) as gone:
        client.get_environment_tag(ORG, PROJECT, ENV, "owner")
    assert gone.value.status == 404
    assert list(client.list_environment_tags(ORG, PROJECT, ENV).tags) == ["tier"]


def test_clone_copies_the_definition_and_what_it_is_asked_to_preserve(client: Any) -> None:
    client.create_environment(ORG, PROJECT, ENV)
    client.update_environment_yaml(ORG, PROJECT, ENV, "values:\n  n: 1\n  s: {fn::secret: x}\n")
    client.update_environment_yaml(ORG, PROJECT, ENV, "values:\n  n: 2\n  s: {fn::secret: y}\n")
    client.create_environment_tag(ORG, PROJECT, ENV, "team", "payments")
    client.create_environment_revision_tag(ORG, PROJECT, ENV, "stable", 2)

    client.clone_environment(ORG, PROJECT, ENV, "other", "copy")
    _, values, _ = client.open_and_read_environment(ORG, "other", "copy")
    assert values == {"n": 2, "s": "y"}
    assert [r.number for r in client.list_environment_revisions(ORG, "other", "copy")] == [1]
    assert client.list_environment_tags(ORG, "other", "copy").tags == {}

    client.clone_environment(
        ORG,
        PROJECT,
        ENV,
        PROJECT,
        "full",
        {
            "preserve_history": True,
            "preserve_environment_tags": True,
            "preserve_revision_tags": True,
        },
    )
    assert [r.number for r in client.list_environment_revisions(ORG, PROJECT, "full")] == [3, 2, 1]
    assert client.get_environment_tag(ORG, PROJECT, "full", "team").value == "payments"
    _, old, _ = client.open_and_read_environment_at_version(ORG, PROJECT, "full", "stable")
    assert old == {"n": 1, "s": "x"}

    with pytest.raises(esc.ApiException) as taken:
        client.clone_environment(ORG, PROJECT, ENV, "other", "copy")
    assert taken.value.status == 400
    names = {(e.project, e.name) for e in client.list_environments(ORG).environments}
    assert names == {(PROJECT, ENV), ("other", "copy"), (PROJECT, "full")}


def test_an_organization_without_environments_lists_none(client: Any) -> None:
    listed = client.list_environments("fresh-org")
    assert listed.environments == []
    assert listed.next_token is None
