"""Every ESC answer the emulator gives, checked against Pulumi's published API description.

The description lives next to the repository (``../shared/apispecs``); without it these
tests skip. Each exchange is matched to its operation by path template and method, and
the body is validated against the schema of the documented status and media type.

The description says every entry under ``values`` is an object (its own example breaks
that with ``foo: bar``); the definitions here keep to it so the check stays strict.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import ValidationError

validators = pytest.importorskip("openapi_schema_validator")

SPEC_PATH = (
    Path(__file__).resolve().parents[1].parent / "shared" / "apispecs" / "pulumi-esc.swagger.yaml"
)
ORG = "acme-org"
ENV = f"/environments/{ORG}/proj/dev"


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    status: int
    headers: httpx.Headers
    body: bytes


class Spec:
    """The swagger document, its operations, and schema validation with its components."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.routes: list[tuple[re.Pattern[str], str, int]] = []
        for template in doc["paths"]:
            pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
            self.routes.append((re.compile(f"^{pattern}$"), template, template.count("{")))

    def operation(self, method: str, path: str) -> dict[str, Any]:
        matches = [
            (params, template)
            for regex, template, params in self.routes
            if regex.match(path) and method.lower() in self.doc["paths"][template]
        ]
        assert matches, f"{method} {path} is not in the API description"
        template = min(matches)[1]
        operation: dict[str, Any] = self.doc["paths"][template][method.lower()]
        return operation

    def response(self, method: str, path: str, status: int) -> dict[str, Any]:
        responses = self.operation(method, path)["responses"]
        assert str(status) in responses, f"{method} {path} answered undocumented {status}"
        response: dict[str, Any] = responses[str(status)]
        if "$ref" in response:
            response = self.doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        return response

    def validate(self, instance: Any, schema: dict[str, Any]) -> None:
        full = {"components": self.doc["components"], **schema}
        validators.validate(instance, full, cls=validators.OAS30Validator)

    def value_tree(self, value: Any) -> None:
        """The ``Value`` schema's ``value`` is open; nested Values are checked one by one."""
        self.validate(value, {"$ref": "#/components/schemas/Value"})
        inner = value["value"]
        children = (
            inner.values() if isinstance(inner, dict) else inner if isinstance(inner, list) else []
        )
        for child in children:
            self.value_tree(child)

    def check(self, ex: Exchange) -> None:
        response = self.response(ex.method, ex.path, ex.status)
        content = response.get("content")
        if not content:
            assert ex.body == b"", f"{ex.method} {ex.path}: body where none is documented"
            for name in response.get("headers", {}):
                assert name in ex.headers, f"{ex.method} {ex.path}: missing header {name}"
            return
        media = ex.headers["content-type"].split(";")[0]
        assert media in content, f"{ex.method} {ex.path} {ex.status}: {media} not documented"
        schema = content[media]["schema"]
        if media == "application/x-yaml":
            data = yaml.safe_load(ex.body)
            if data is not None:
                self.validate(data, schema)
            return
        data = json.loads(ex.body)
        self.validate(data, schema)
        if schema.get("$ref", "").endswith(("/Environment", "/CheckEnvironment")):
            for value in data.get("properties", {}).values():
                self.value_tree(value)
        elif schema.get("$ref", "").endswith("/Value"):
            self.value_tree(data)


@pytest.fixture(scope="module")
def spec() -> Spec:
    if not SPEC_PATH.exists():
        pytest.skip(f"API description not found at {SPEC_PATH}")
    return Spec(yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8")))


@pytest.fixture
def exchanges(secretsync_emulator_server: Any) -> Iterator[list[Exchange]]:
    """Every documented operation the emulator serves, with successes and failures."""
    seen: list[Exchange] = []
    headers = {"Authorization": "token t"}
    with httpx.Client(base_url=secretsync_emulator_server.esc_url, headers=headers) as http:

        def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
            resp = http.request(method, path, **kwargs)
            seen.append(Exchange(method, path, resp.status_code, resp.headers, resp.content))
            return resp

        yaml_headers = {"Content-Type": "application/x-yaml"}
        call("GET", f"/environments/{ORG}")  # 200, no environments yet
        call("POST", f"/environments/{ORG}", json={"project": "proj", "name": "dev"})
        call("POST", f"/environments/{ORG}", json={"project": "proj", "name": "dev"})  # 409
        call("POST", f"/environments/{ORG}", json={"project": "proj", "name": "bad name"})
        call("POST", f"/environments/{ORG}", json={"project": "proj", "name": "base"})
        call(
            "PATCH",
            f"/environments/{ORG}/proj/base",
            content="values: {shared: {n: 1}}\n",
            headers=yaml_headers,
        )
        etag = call("GET", ENV).headers["ETag"]
        definition = (
            "imports: [proj/base]\n"
            "values:\n"
            "  s: {fn::secret: hunter2}\n"
            "  data: {list: [1, {a: true}]}\n"
            "  environmentVariables: {S: '${s}'}\n"
            "  files: {F: x}\n"
            "  pulumiConfig: {k: '${shared.n}'}\n"
        )
        call("PATCH", ENV, content=definition, headers={**yaml_headers, "ETag": etag})
        call("PATCH", ENV, content="values: {}\n", headers={**yaml_headers, "ETag": etag})  # 409
        call("PATCH", ENV, content="values: {s: {fn::secret: '${x}'}}\n", headers=yaml_headers)
        call("HEAD", ENV)
        call("GET", ENV)
        call("GET", ENV + "/decrypt")
        call("GET", ENV + "/versions")
        call("GET", ENV + "/versions/1")
        call("GET", ENV + "/versions/99")
        session = call("POST", ENV + "/open", params={"duration": "1h"}).json()["id"]
        call("POST", ENV + "/versions/2/open")
        call("GET", f"{ENV}/open/{session}")
        call("GET", f"{ENV}/open//{session}", params={"property": "data.list[1]"})
        call("GET", f"{ENV}/open/missing")
        call("POST", ENV + "/versions/tags", json={"name": "stable", "revision": 2})
        call("POST", ENV + "/versions/tags", json={"name": "stable", "revision": 2})  # 409
        call("GET", ENV + "/versions/tags")
        call("GET", ENV + "/versions/tags/stable")
        call("PATCH", ENV + "/versions/tags/stable", json={"revision": 1})
        call("GET", ENV + "/versions/stable")
        call("DELETE", ENV + "/versions/tags/stable")
        call("POST", ENV + "/tags", json={"name": "team", "value": "payments"})
        call("POST", ENV + "/tags", json={"name": "team", "value": "again"})  # 400
        call("GET", ENV + "/tags", params={"count": 5})
        call("GET", ENV + "/tags/team")
        call("GET", ENV + "/tags/missing")
        tag_update = {"currentTag": {"value": "payments"}, "newTag": {"name": "", "value": "x"}}
        call("PATCH", ENV + "/tags/team", json=tag_update)
        call("POST", ENV + "/clone", json={"project": "proj", "name": "copy"})
        call("POST", ENV + "/clone", json={"project": "proj", "name": "copy"})  # 400: exists
        call("POST", f"/environments/{ORG}/proj/missing/clone", json={"project": "p", "name": "c"})
        call("DELETE", ENV + "/tags/team")
        call("DELETE", ENV + "/tags/team")  # 404
        call(
            "POST",
            f"/environments/{ORG}/yaml/check",
            content="values: {a: '${shared}'}\n",
            headers=yaml_headers,
        )
        call(
            "POST",
            f"/environments/{ORG}/yaml/check",
            content="values: {a: '${nope}'}\n",
            headers=yaml_headers,
        )
        call("GET", f"/environments/{ORG}")
        call("DELETE", ENV)
        call("GET", ENV)
        broken = "imports: [proj/dev]\nvalues: {}\n"
        call("PATCH", f"/environments/{ORG}/proj/base", content=broken, headers=yaml_headers)
        yield seen


def test_every_answer_matches_the_published_description(
    spec: Spec, exchanges: list[Exchange]
) -> None:
    statuses = {(ex.method, ex.status) for ex in exchanges}
    assert {("PATCH", 409), ("PATCH", 400), ("GET", 404), ("POST", 409), ("POST", 400)} <= statuses
    assert (exchanges[0].method, exchanges[0].status) == ("GET", 200)  # an org with none
    assert json.loads(exchanges[0].body) == {"environments": []}
    for ex in exchanges:
        spec.check(ex)


def test_get_and_decrypt_carry_etag_and_revision(exchanges: list[Exchange]) -> None:
    gets = [
        ex
        for ex in exchanges
        if ex.method == "GET" and ex.path.endswith(("/dev", "/decrypt")) and ex.status == 200
    ]
    assert len(gets) >= 3
    for ex in gets:
        assert ex.headers["etag"] and ex.headers["pulumi-esc-revision"].isdigit()
    assert len({ex.headers["etag"] for ex in gets[-2:]}) == 1


def test_a_wrong_shape_is_caught(spec: Spec) -> None:
    """The checker itself rejects what the description forbids (so a pass means something)."""
    bad_value = Exchange(
        "GET",
        f"{ENV}/open//x",
        200,
        httpx.Headers({"content-type": "application/json"}),
        json.dumps({"value": {"nested": {"value": 1}}, "trace": {}}).encode(),
    )
    with pytest.raises(ValidationError, match="required"):
        spec.check(bad_value)
    with pytest.raises(AssertionError, match="undocumented"):
        spec.check(Exchange("DELETE", ENV, 409, httpx.Headers(), b""))
