"""Reading a map file and checking every rule, each problem at ``file:line:column``.

Three passes: YAML (syntax and duplicate keys, via :mod:`secretsync.map.yamlnodes`), shape
(pydantic, strict, unknown keys forbidden), then the rules that span entries (names,
collisions, references). Every problem of a pass is collected before giving up, so a user
fixes them all in one go.
"""

from __future__ import annotations

import difflib
import keyword
import re
import types
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from secretsync.errors import MapError, MapIssue
from secretsync.map.model import (
    RESERVED_ESC_ROOTS,
    Environment,
    GithubTarget,
    Secret,
    SecretMap,
    SecretType,
)
from secretsync.map.yamlnodes import Located, load_located

__all__ = ["check_map", "document_keys"]

_TYPES = typing.get_args(SecretType)

_SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATH_SEGMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
# Names that are only dots (".", "..") would become path traversal in an API URL.
_ESC_NAME = re.compile(r"(?!\.+$)[A-Za-z0-9_.-]+")
_REPO = re.compile(r"(?!\.+$)[A-Za-z0-9_.-]+")
# GitHub's repository names: ASCII letters, digits, `.`, `-`, `_`; at most 100 characters.
_REPO_MAX = 100
_GITHUB_ORG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


# ---------------------------------------------------------------------------- the document


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _GithubEntry(_Strict):
    scope: str = "org"
    visibility: Literal["all", "private", "selected"] | None = None
    repositories: list[str] | None = None


class _SecretEntry(_Strict):
    category: str | None = None
    type: SecretType = "secret"
    format: str | None = None
    description: str = ""
    owner: str | None = None
    environments: list[str] | None = None
    required: bool = True
    max_age_days: int | None = Field(default=None, gt=0)
    env_var: str | None = None
    field: str | None = None
    esc_path: str | None = None
    github: _GithubEntry = _GithubEntry()


class _EnvironmentEntry(_Strict):
    esc_env: str


class _GithubSection(_Strict):
    org: str


class _EscSection(_Strict):
    org: str
    project: str = "default"


class _Defaults(_Strict):
    max_age_days: int = Field(default=90, gt=0)


class _SyncSection(_Strict):
    repositories: list[str] = Field(min_length=1)


class _Document(_Strict):
    version: Literal[1]
    github: _GithubSection
    esc: _EscSection
    environments: dict[str, _EnvironmentEntry] = Field(min_length=1)
    categories: dict[str, str] = {}
    defaults: _Defaults = _Defaults()
    sync: _SyncSection | None = None
    secrets: dict[str, _SecretEntry | None]


def check_map(text: str, path: Path) -> SecretMap:
    """Validate map text; raises ``MapError`` listing every problem found."""
    return _Checker(path, load_located(text)).run()


class _Checker:
    """Collects every problem of one map before giving up, so a user fixes them in one go."""

    def __init__(self, path: Path, located: Located) -> None:
        self.path = path
        self.doc = located
        self.issues: list[MapIssue] = []

    def at_key(self, where: tuple[str | int, ...], message: str) -> None:
        pos = self.doc.key_position(where)
        self.issues.append(MapIssue(str(self.path), pos.line, pos.column, message))

    def at_value(self, where: tuple[str | int, ...], message: str) -> None:
        pos = self.doc.value_position(where)
        self.issues.append(MapIssue(str(self.path), pos.line, pos.column, message))

    def fail(self) -> MapError:
        return MapError(self.issues, hint="fix the map and run `secretsync validate`")

    def run(self) -> SecretMap:
        for problem in self.doc.problems:
            self.issues.append(
                MapIssue(
                    str(self.path), problem.position.line, problem.position.column, problem.message
                )
            )
        # Duplicate keys are reported and the first occurrence kept, so the other
        # checks still run; a syntax error leaves nothing to check.
        if self.doc.data is None:
            if not self.issues:
                self.at_value((), "the map is empty")
            raise self.fail()
        if not isinstance(self.doc.data, dict):
            self.at_value((), "the map must be a mapping with version, github, esc, ...")
            raise self.fail()
        try:
            document = _Document.model_validate(self.doc.data)
        except ValidationError as exc:
            for error in exc.errors(include_input=False, include_url=False):
                self._shape_issue(error)
            raise self.fail() from None
        smap = self._resolve(document)
        if self.issues:  # includes YAML problems found in pass 1
            raise self.fail()
        return smap

    # -- pass 2: shape

    def _shape_issue(self, error: Any) -> None:
        loc = tuple(error["loc"])
        # pydantic appends the union member tried ("_SecretEntry") to the location.
        loc = tuple(part for part in loc if part != "_SecretEntry")
        kind = error["type"]
        dotted = ".".join(str(p) for p in loc)
        if kind == "extra_forbidden":
            self.at_key(loc, f"unknown key {loc[-1]!r}{_suggest(loc, self.doc.data)}")
        elif kind == "missing":
            self.at_key(loc[:-1], f"missing required key {loc[-1]!r}" + _in(loc[:-1]))
        elif kind == "greater_than":
            self.at_value(loc, f"{dotted} must be a positive number of days")
        elif kind == "literal_error" and loc[-1] == "type":
            self.at_value(
                loc, f"unknown type; use one of: {', '.join(typing.get_args(SecretType))}"
            )
        elif kind == "literal_error" and loc == ("version",):
            self.at_value(loc, "unsupported map version; this secretsync reads version: 1")
        elif kind == "too_short" and loc == ("environments",):
            self.at_value(loc, "the map needs at least one environment")
        elif kind == "too_short" and loc == ("sync", "repositories"):
            self.at_value(loc, "sync.repositories lists no repository; name one, or drop sync:")
        elif kind == "model_type" or (kind == "dict_type" and len(loc) <= 1):
            self.at_value(loc, f"{dotted or 'the map'} must be a mapping")
        else:
            self.at_value(loc, f"{dotted}: {error['msg']}")

    # -- pass 3: rules across entries

    def _resolve(self, doc: _Document) -> SecretMap:
        self._check_text(self.doc.data, ())
        if not _GITHUB_ORG.fullmatch(doc.github.org):
            self.at_value(
                ("github", "org"),
                f"GitHub organization {doc.github.org!r}: use letters, digits and single hyphens",
            )
        for key in ("org", "project"):
            value = getattr(doc.esc, key)
            if not _ESC_NAME.fullmatch(value):
                self.at_value(("esc", key), f"ESC {key} {value!r}: use letters, digits, -, _ and .")
        environments = self._environments(doc)
        categories = self._categories(doc)
        secrets: dict[str, Secret] = {}
        seen_names: dict[str, str] = {}
        for name, entry in doc.secrets.items():
            where: tuple[str | int, ...] = ("secrets", name)
            self._check_name(name, where, seen_names)
            secret = self._secret(doc, name, entry or _SecretEntry(), environments, categories)
            if secret is not None:
                secrets[name] = secret
        self._check_collisions(secrets)
        sync_repositories = self._sync_repositories(doc)
        return SecretMap(
            path=self.path,
            github_org=doc.github.org,
            esc_org=doc.esc.org,
            esc_project=doc.esc.project,
            environments=environments,
            categories=categories,
            default_max_age_days=doc.defaults.max_age_days,
            secrets=secrets,
            sync_repositories=sync_repositories,
        )

    def _sync_repositories(self, doc: _Document) -> tuple[str, ...]:
        """``sync.repositories``: names GitHub accepts, each once (GitHub compares them
        without regard to case)."""
        if doc.sync is None:
            return ()
        seen: dict[str, int] = {}
        for index, repo in enumerate(doc.sync.repositories):
            where = ("sync", "repositories", index)
            if not _REPO.fullmatch(repo) or len(repo) > _REPO_MAX:
                self.at_value(
                    where,
                    f"sync repository {repo!r}: GitHub repository names use letters, digits, "
                    f"., - and _ (at most {_REPO_MAX} characters), without the owner",
                )
            folded = repo.lower()
            if folded in seen:
                first = self.doc.value_position(("sync", "repositories", seen[folded]))
                self.at_value(
                    where, f"sync repository {repo!r} is listed twice (first on line {first.line})"
                )
            seen.setdefault(folded, index)
        return tuple(doc.sync.repositories)

    def _check_text(self, node: Any, where: tuple[str | int, ...]) -> None:
        """No control characters or line breaks in any text: descriptions and owners end up
        in scripts, tables and comments (a newline there is a new shell command)."""
        if isinstance(node, dict):
            for key, value in node.items():
                self._check_text(value, (*where, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                self._check_text(item, (*where, index))
        elif isinstance(node, str) and _CONTROL.search(node):
            self.at_value(
                where,
                f"{'.'.join(map(str, where))}: control characters or line "
                "breaks are not allowed here",
            )

    def _environments(self, doc: _Document) -> dict[str, Environment]:
        result: dict[str, Environment] = {}
        for name, entry in doc.environments.items():
            where = ("environments", name)
            if not _ENV_NAME.fullmatch(name):
                self.at_key(where, f"environment name {name!r}: use letters, digits, - and _")
            if not _ESC_NAME.fullmatch(entry.esc_env):
                self.at_value(
                    (*where, "esc_env"),
                    f"ESC environment name {entry.esc_env!r}: use letters, digits, -, _ and .",
                )
            twin = next((e for e in result.values() if e.esc_env == entry.esc_env), None)
            if twin is not None:
                self.at_value(
                    (*where, "esc_env"),
                    f"ESC environment {entry.esc_env!r} is already the one of {twin.name!r} "
                    f"(line {twin.line}); each deploy environment needs its own, or sync and "
                    "prune would undo each other",
                )
            result[name] = Environment(name, entry.esc_env, self.doc.key_position(where).line)
        return result

    def _categories(self, doc: _Document) -> dict[str, str]:
        for name, prefix in doc.categories.items():
            problem = _path_problem(prefix)
            if problem:
                self.at_value(("categories", name), f"category {name!r}: {problem}")
        return dict(doc.categories)

    def _check_name(self, name: str, where: tuple[str | int, ...], seen: dict[str, str]) -> None:
        if not _SECRET_NAME.fullmatch(name):
            if name[:1].isdigit():
                self.at_key(where, f"secret name {name!r} must not start with a digit")
            else:
                self.at_key(where, f"secret name {name!r} may only hold letters, digits and _")
        elif name.upper().startswith("GITHUB_"):
            extra = (
                " (GITHUB_TOKEN is the token GitHub gives every workflow run)"
                if name.upper() == "GITHUB_TOKEN"
                else ""
            )
            self.at_key(
                where,
                f"secret name {name!r}: GitHub reserves names starting with GITHUB_{extra}; "
                "pick another name, e.g. GH_" + name[len("GITHUB_") :].upper(),
            )
        elif name != name.upper():
            self.at_key(
                where,
                f"secret name {name!r}: GitHub stores secret names upper-case; "
                f"write {name.upper()!r}",
            )
        folded = name.upper()
        if folded in seen and seen[folded] != name:
            first = self.doc.key_position(("secrets", seen[folded]))
            self.at_key(
                where,
                f"secret name {name!r} differs from {seen[folded]!r} (line {first.line}) only "
                "in case; GitHub treats them as one secret",
            )
        seen.setdefault(folded, name)

    def _secret(
        self,
        doc: _Document,
        name: str,
        entry: _SecretEntry,
        environments: dict[str, Environment],
        categories: dict[str, str],
    ) -> Secret | None:
        where: tuple[str | int, ...] = ("secrets", name)
        ok = True
        if entry.category is not None and entry.category not in categories:
            self.at_value(
                (*where, "category"),
                f"unknown category {entry.category!r}"
                + _did_you_mean(entry.category, categories)
                + (f"; the map has: {', '.join(categories)}" if categories else ""),
            )
            ok = False
        if entry.esc_path is not None:
            esc_path = entry.esc_path
            problem = _path_problem(esc_path)
            if problem:
                self.at_value((*where, "esc_path"), f"esc_path: {problem}")
                ok = False
        elif entry.category is not None and entry.category in categories:
            esc_path = f"{categories[entry.category]}.{name.lower()}"
        else:
            if entry.category is None:
                self.at_key(where, f"secret {name!r} needs a category or an esc_path")
            return None
        if entry.format is not None:
            from secretsync.providers import format_names

            known = format_names()
            if entry.format not in known:
                self.at_value(
                    (*where, "format"),
                    f"unknown format {entry.format!r}"
                    + (
                        _did_you_mean(entry.format, known)
                        or f"; known formats: {', '.join(sorted(known))}"
                    ),
                )
        envs = tuple(environments) if entry.environments is None else tuple(entry.environments)
        if entry.environments is not None and not entry.environments:
            self.at_value((*where, "environments"), "environments lists no environment")
        for index, env in enumerate(entry.environments or ()):
            if env not in environments:
                self.at_value(
                    (*where, "environments", index),
                    f"unknown environment {env!r}" + _did_you_mean(env, environments),
                )
        # A bad name is reported once, not again through the env var and field it implies.
        name_ok = bool(_SECRET_NAME.fullmatch(name))
        env_var = entry.env_var or name
        if (entry.env_var or name_ok) and not _ENV_VAR.fullmatch(env_var):
            self.at_value((*where, "env_var"), f"env_var {env_var!r} is not a variable name")
        field = entry.field or name.lower()
        field_problem = _field_problem(field)
        if field_problem and (entry.field or name_ok):
            self.at_value((*where, "field") if entry.field else where, field_problem)
        github = self._github(doc, where, entry.github)
        if not ok or github is None:
            return None
        return Secret(
            name=name,
            category=entry.category,
            type=entry.type,
            format=entry.format,
            description=entry.description,
            owner=entry.owner,
            environments=tuple(e for e in environments if e in envs),
            required=entry.required,
            max_age_days=entry.max_age_days or doc.defaults.max_age_days,
            env_var=env_var,
            field=field,
            esc_path=esc_path,
            github=github,
            line=self.doc.key_position(where).line,
        )

    def _github(
        self, doc: _Document, where: tuple[str | int, ...], entry: _GithubEntry
    ) -> GithubTarget | None:
        gwhere = (*where, "github")
        scope = entry.scope
        target: GithubTarget | None
        if scope == "org":
            visibility = entry.visibility or "private"
            repos = tuple(entry.repositories or ())
            if visibility == "selected" and not repos:
                self.at_value(
                    (*gwhere, "visibility"), "visibility: selected needs a repositories list"
                )
            if repos and visibility != "selected":
                self.at_key(
                    (*gwhere, "repositories"),
                    "repositories only applies with visibility: selected",
                )
            for index, repo in enumerate(repos):
                if not _REPO.fullmatch(repo):
                    self.at_value((*gwhere, "repositories", index), f"bad repository {repo!r}")
            return GithubTarget("org", visibility=visibility, repositories=repos)
        kind, _, rest = scope.partition(":")
        if kind == "repo" and _REPO.fullmatch(rest):
            target = GithubTarget("repo", repo=rest)
        elif kind == "env" and "/" in rest:
            repo, _, env = rest.partition("/")
            target = (
                GithubTarget("env", repo=repo, environment=env)
                if (_REPO.fullmatch(repo) and env)
                else None
            )
        else:
            target = None
        if target is None:
            self.at_value(
                (*gwhere, "scope"),
                f"bad GitHub scope {scope!r}; use org, repo:<repo> or env:<repo>/<environment>",
            )
            return None
        if entry.visibility is not None or entry.repositories is not None:
            self.at_key(
                (*gwhere, "visibility" if entry.visibility is not None else "repositories"),
                "visibility and repositories only apply at org scope",
            )
        return target

    def _check_collisions(self, secrets: dict[str, Secret]) -> None:
        for attribute, label in (
            ("esc_path", "ESC path"),
            ("env_var", "env var"),
            ("field", "settings field"),
        ):
            owners: dict[str, Secret] = {}
            for secret in secrets.values():
                value = getattr(secret, attribute)
                key = value.lower() if attribute == "field" else value
                if key in owners:
                    other = owners[key]
                    self._collision(
                        secret,
                        attribute,
                        f"{label} {value!r} is already used by {other.name} (line {other.line})",
                    )
                else:
                    owners[key] = secret
        for shorter, longer in _prefix_pairs(secrets.values()):
            self._collision(
                longer,
                "esc_path",
                f"ESC path {longer.esc_path!r} sits inside {shorter.esc_path!r} of "
                f"{shorter.name} (line {shorter.line}); one value cannot also be a mapping",
            )

    def _collision(self, secret: Secret, attribute: str, message: str) -> None:
        where: tuple[str | int, ...] = ("secrets", secret.name)
        explicit = (*where, attribute)
        if explicit in self.doc.keys:
            self.at_value(explicit, message)
        else:
            self.at_key(where, message)


def _prefix_pairs(secrets: Iterable[Secret]) -> Iterator[tuple[Secret, Secret]]:
    """Pairs where one path is a strict dotted prefix of another, every such pair once.

    Each path's own prefixes are looked up, rather than relying on sort order: ``-`` sorts
    before ``.``, so ``app.db-x`` would separate ``app.db`` from ``app.db.password``.
    """
    by_path = {secret.esc_path: secret for secret in secrets}
    for path, secret in sorted(by_path.items()):
        segments = path.split(".")
        for cut in range(1, len(segments)):
            shorter = by_path.get(".".join(segments[:cut]))
            if shorter is not None:
                yield shorter, secret


def _path_problem(path: str) -> str | None:
    segments = path.split(".")
    if not all(_PATH_SEGMENT.fullmatch(s) for s in segments):
        return f"{path!r} is not a dotted path of names (letters, digits, _ and -)"
    if segments[0] in RESERVED_ESC_ROOTS:
        return f"{path!r} is under {segments[0]!r}, which ESC or secretsync reserves"
    return None


def _field_problem(field: str) -> str | None:
    if not field.isidentifier() or not field.isascii():
        return f"settings field {field!r} is not a Python identifier"
    if keyword.iskeyword(field) or field.startswith(("_", "model_")):
        return f"settings field {field!r} is reserved in Python or pydantic; set field:"
    return None


def _suggest(loc: tuple[Any, ...], data: Any) -> str:
    allowed = _allowed_keys(loc[:-1])
    if not allowed:
        return ""
    # The closest key when there is one; else every key valid at that level, so a newcomer
    # is never left guessing (docs/MAP.md has their meaning).
    return _did_you_mean(str(loc[-1]), allowed) or f"; valid keys here: {', '.join(allowed)}"


def document_keys() -> dict[tuple[str, ...], FieldInfo | None]:
    """Every key path the map accepts, a name the user chooses written ``*``
    (``("secrets", "*", "github", "scope")``), with the pydantic field that holds it (None
    for a user-chosen name). Derived from the document models, so docs cannot drift."""
    return _keys_of(_Document, ())


def _keys_of(
    model: type[BaseModel], prefix: tuple[str, ...]
) -> dict[tuple[str, ...], FieldInfo | None]:
    found: dict[tuple[str, ...], FieldInfo | None] = {}
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        found[path] = info
        for named, inner in _inner_models(info.annotation):
            at = (*path, "*") if named else path
            if named:
                found.setdefault(at, None)
            if inner is not None:
                found.update(_keys_of(inner, at))
    return found


def _inner_models(annotation: Any) -> list[tuple[bool, type[BaseModel] | None]]:
    """``(under a user-chosen name?, model or None)`` for what an annotation nests."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(False, annotation)]
    origin = typing.get_origin(annotation)
    if origin is dict:
        _, value = typing.get_args(annotation)
        return [(True, model) for _, model in _inner_models(value)] or [(True, None)]
    if origin in (typing.Union, types.UnionType):
        return [found for arg in typing.get_args(annotation) for found in _inner_models(arg)]
    return []


def _allowed_keys(parent: tuple[Any, ...]) -> list[str]:
    """The keys valid under ``parent`` (a location in the document), in model order."""
    pattern: list[str] = []
    keys = document_keys()
    for part in parent:
        exact = (*pattern, str(part))
        pattern = [*pattern, str(part) if exact in keys else "*"]
    depth = len(pattern) + 1
    return [
        path[-1]
        for path in keys
        if len(path) == depth and list(path[:-1]) == pattern and path[-1] != "*"
    ]


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _in(loc: tuple[Any, ...]) -> str:
    return f" in {'.'.join(str(p) for p in loc)}" if loc else ""
