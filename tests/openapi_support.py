"""Reading an OpenAPI description and checking an emulator answer against it, for the
tests that hold the emulator to GitHub's published descriptions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

__all__ = ["check_answer", "deref", "load_description", "operations"]


def load_description(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def deref(node: Any, root: dict[str, Any]) -> Any:
    """The schema with every local ``$ref`` replaced by what it points at."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return deref(target, root)
        return {k: deref(v, root) for k, v in node.items()}
    if isinstance(node, list):
        return [deref(v, root) for v in node]
    return node


def operations(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path template, operation)."""
    return {
        op["operationId"]: (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }


def check_answer(
    spec: dict[str, Any], op_id: str, op: dict[str, Any], expected: int, answer: httpx.Response
) -> dict[str, Any]:
    """Assert ``answer`` has the ``expected`` status and the body that status is described
    with (none, or one valid against its JSON schema); the described response."""
    assert answer.status_code == expected, (op_id, answer.text)
    described: dict[str, Any] = deref(op["responses"][str(expected)], spec)
    content = described.get("content", {}).get("application/json")
    if content is None:
        assert answer.content == b"", op_id
        return described
    schema = content["schema"]
    OAS30Validator(schema, format_checker=oas30_format_checker).validate(answer.json())
    return described
