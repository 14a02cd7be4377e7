"""Which tool renders a file, judged from its path: a template is fine only there.

``${{ secrets.X }}`` in a workflow, ``{{ .Values.x }}`` in a chart's ``templates/``,
``%(here)s`` in an ``.ini`` that ConfigParser reads: each is the intended way to bring a
value in, filled by the tool that reads the file. The same text in a ``.env``, a compose
file or a ``values.yaml`` is read as it stands: a template left behind, so a placeholder.
Every answer depends on the path alone (pre-commit batches agree with a whole run).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import PurePosixPath

from secretsync.placeholders.vocabulary import wordset

__all__ = ["TOOL_TEMPLATES", "rendered_templates"]


#: Classifier kinds (``template:<name>``) that some tool fills in.
TOOL_TEMPLATES = frozenset(
    f"template:{name}"
    for name in (
        "github-actions",
        "jinja",
        "printf",
        "replace-tokens",
        "command",
        "dunder",
        "at",
        "braces",
        "erb",
    )
)
_ALL = TOOL_TEMPLATES
#: In code a format string or an embedded template is how a value is built; ERB there is
#: left-over markup, as before.
_IN_CODE = TOOL_TEMPLATES - {"template:erb"}
#: Suffixes of files that exist to be rendered by a template engine.
_TEMPLATE_SUFFIXES = wordset(
    ".j2 .jinja .jinja2 .tpl .tmpl .gotmpl .mustache .hbs .handlebars .liquid .erb .ctmpl"
    " .njk .twig .in .gtpl"
)
#: Folders whose files a tool renders: a Helm chart's or an Ansible role's ``templates/``,
#: a Backstage/cookiecutter skeleton.
_TEMPLATE_DIRS = wordset("templates template _templates skeleton")
_CI_FILES = wordset(
    ".gitlab-ci.yml azure-pipelines.yml azure-pipelines.yaml bitbucket-pipelines.yml"
    " jenkinsfile .drone.yml .travis.yml cloudbuild.yaml cloudbuild.yml buildspec.yml"
)
_SHELL_SUFFIXES = wordset(".sh .bash .zsh .ksh .mk .ps1")
_SHELL_NAMES = wordset("makefile gnumakefile dockerfile containerfile justfile")
_CONFIGPARSER_SUFFIXES = wordset(".ini .cfg .conf")


@lru_cache(maxsize=1024)
def rendered_templates(path: str, fmt: str) -> frozenset[str]:
    """The ``template:<name>`` kinds that the tool reading ``path`` fills in.

    ``fmt`` is the extractor's format (:func:`secretsync.scan.formats.format_of`): code
    holds format strings and templates on purpose, so every kind is fine there.
    """
    if fmt == "code":
        return _IN_CODE
    pure = PurePosixPath(path.replace("\\", "/"))
    name = pure.name.lower()
    parts = [p.lower() for p in pure.parts[:-1]]
    suffixes = [s.lower() for s in pure.suffixes]
    if any(s in _TEMPLATE_SUFFIXES for s in suffixes) or any(p in _TEMPLATE_DIRS for p in parts):
        return _ALL
    kinds: set[str] = set()
    if _is_workflow(parts, name):
        kinds |= {"template:github-actions", "template:command"}
    if name in _CI_FILES or (".circleci" in parts and name.startswith("config.")):
        kinds.add("template:command")
    if (
        pure.suffix.lower() in _SHELL_SUFFIXES
        or name in _SHELL_NAMES
        or name.startswith("dockerfile.")
    ):
        kinds |= {"template:command", "template:braces"}
    if pure.suffix.lower() in _CONFIGPARSER_SUFFIXES:
        kinds.add("template:printf")  # ConfigParser interpolation: %(here)s
    joined = "/".join(parts)
    if "src/main/resources" in joined or "src/test/resources" in joined:
        kinds.add("template:at")  # Maven/Gradle resource filtering: @db.password@
    return frozenset(kinds)


def _is_workflow(parts: list[str], name: str) -> bool:
    if not name.endswith((".yml", ".yaml")):
        return False
    if name in ("action.yml", "action.yaml"):
        return True
    return ".github" in parts and ("workflows" in parts or "actions" in parts)
