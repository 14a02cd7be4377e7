"""Cut operations out of GitHub's published OpenAPI description, with every ``$ref`` they
need, the way ``../shared/apispecs/github-actions-secrets.openapi.yaml`` was cut.

    npm pack @octokit/openapi@23.0.2 && tar xzf octokit-openapi-23.0.2.tgz
    python tests/apispecs/cut_github.py package/generated/api.github.com.json \\
        > tests/apispecs/github-repos-environments.openapi.yaml

Octokit's ``x-octokit`` extensions are dropped (none of these operations carries an Octokit
override); everything else is GitHub's text as published (MIT licence).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import yaml

OPERATIONS = (
    "meta/root",
    "orgs/get",
    "repos/list-for-org",
    "repos/create-in-org",
    "repos/get",
    "repos/get-all-environments",
    "repos/get-environment",
    "repos/create-or-update-environment",
    "repos/delete-an-environment",
)


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out.add(value)
            else:
                _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if not k.startswith("x-octokit")}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def cut(spec: dict[str, Any], operation_ids: tuple[str, ...]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") in operation_ids:
                paths.setdefault(path, {})[method] = _strip(op)
    todo: set[str] = set()
    _refs(paths, todo)
    components: dict[str, dict[str, Any]] = {}
    done: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in done:
            continue
        done.add(ref)
        _, _, kind, name = ref.split("/", 3)
        target = _strip(spec["components"][kind][name])
        components.setdefault(kind, {})[name] = target
        _refs(target, todo)
    return {
        "openapi": "3.0.3",
        "info": {
            "version": spec["info"]["version"],
            "title": "GitHub v3 REST API - repositories and deployment environments subset",
            "description": (
                "Subset of GitHub's REST API description (github/rest-api-description, "
                "descriptions/api.github.com/api.github.com.json) containing only the "
                "operations the secretsync emulator serves for repositories, deployment "
                "environments, the organization and the API root. Extracted from "
                "@octokit/openapi@23.0.2 generated/api.github.com.json with the "
                "Octokit-specific extension removed (no operation here has an Octokit "
                "override)."
            ),
            "license": {"name": "MIT", "url": "https://spdx.org/licenses/MIT"},
            "x-github-plan": "api.github.com",
        },
        "servers": [{"url": "https://api.github.com"}],
        "externalDocs": {
            "description": "GitHub v3 REST API",
            "url": "https://docs.github.com/rest/",
        },
        "paths": {p: paths[p] for p in sorted(paths)},
        "components": {k: dict(sorted(v.items())) for k, v in sorted(components.items())},
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        published = json.load(handle)
    sys.stdout.write(yaml.safe_dump(cut(published, OPERATIONS), sort_keys=False, width=100))
