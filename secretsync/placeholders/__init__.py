"""Is this value a real secret, or something a person left in its place?

:func:`classify` sorts one value into empty / placeholder / reference / secret and names the
pattern that decided it. Every rule is a shape a person can check by eye (a dominant run of
``x``, nothing but placeholder words, an unrendered template, a documented vendor example),
never a score, so a finding explains itself. ``kind`` and ``reason`` never quote the value:
at most a public token prefix (``sk-``), one padding character, or a vocabulary word.

Label policy for the cases people disagree on (what a reviewer of an example file would say):

- Placeholders: vendor and tutorial defaults (``root``, ``admin``, ``postgres``, ``secret``,
  ``p4SSW0rd``); one short lower-case word plus the digits people append (``doctor123``,
  ``tiger2024``) under a password key (``Summer2024!`` was typed to meet a policy: a
  secret); a product name plus an account name (``grafana_admin``); values mostly made of
  alphabet or digit runs (``a1b2c3d4``, ``...1234567890abcdef``); pointers and descriptions
  instead of a value (``same-as-above``, ``api key for the export job``); type names
  (``string``); base64 or hex of any of these (an ``echo | base64`` newline included);
  Helm/Jinja/GitHub templates left unrendered, and references with ``<name>`` holes in
  them. Also: a self-hosted product's name (``grafana``, ``tomcat``) or product + account
  (``jenkinsadmin``); a ``user:password`` default pair (``guest:guest``); a word written
  twice (``hogehoge``); three characters or fewer; a token cut off with ``...``; a JSON
  object, JS object or JAAS line whose quoted credential field is a placeholder; a word
  asking for generation (``auto``); the marker words in Spanish, Portuguese, French and
  German (``tu-clave-aqui``); consul-template fields (``{{ .Data.data.password }}``), as Helm's.
- Secrets: anything chosen rather than left in place, however weak: passphrases of ordinary
  words (``granite-tulip-ferry``), human passwords mixing words, digits and symbols
  (``Summer2024!Deploy``, ``Tr0ub4dor&3x``), and base64 of such a password.
- References: environment and secret-store pointers, including Terraform expressions
  (``var.db_password``), store URIs embedded in a URL, ``${VAR:default}`` and
  ``$VAR`` fields inside a DSN, calls that read a named variable (``env("X")``), CI and
  platform secrets (Jenkins ``credentials('id')``, Vercel ``@name``, Rails credentials),
  CloudFormation ``{{resolve:...}}``, paths to key files and SSM/Vault-style store paths;
  templates that only read a variable (``{{process.env.X}}``, Grafana's ``$__env{X}``), code
  reading a named file (``File.read('/run/secrets/x')``), env reads with a fallback
  (``process.env.X || 'dev'``), and ciphertext whose key lives elsewhere (``ENC(...)``,
  ``{cipher}...``, a SealedSecret body). Also env-only templates in other tools (gomplate
  ``{{ .Env.X }}``, dbt ``{{ env_var('X') }}``), Argo CD Vault plugin ``<path:kv/x#key>``,
  YAML ``!secret name`` / ``!env_var X`` tags, and provider objects naming a variable
  (Druid's ``{"type": "environment", "variable": "X"}``). And the pointer families of
  :mod:`.pointers`: store locators (``keeper://``, ``akeyless:/``, ``sm://``, Key Vault
  secret URLs, ``{{ op://... }}``), Hiera ``%{lookup('x')}``, Conjur ``!var``, TeamCity
  ``%env.X%``, systemd ``%d/x``, Pulumi ``config.requireSecret('x')``, eyaml ciphertext, and
  commands a tool runs by contract to fetch the value (``PassCmd "pass show mail/x"``). An
  unexpanded ``$(...)`` left in a value stays a template; so do Ansible templates other than
  ``{{ lookup('env', 'X') }}`` (``lookup('hashi_vault', ...)``, ``{{ vault_x }}``). And the
  shapes of :mod:`.lookups`: settings lookups (``Settings[:secret_token]``), a Secret's or
  secret key's name under a key that says so (``existingSecret: my-secret``,
  ``adminPasswordKey: DB_PASSWORD``), key-file names (``key.pem``), relative paths.
- Secrets, though they read as references: an env read whose literal fallback is itself a
  secret (``process.env.X || "GOCSPX-..."``): the literal ships with the code.
- Placeholders also: instructions to fill in (``ENTER_TOKEN_HERE_IF_YOU_HAVE_ONE``), and the
  marker words in Dutch, Italian, the Nordic languages and Polish (``hemligt``).
- Connection strings (``Name=value;``) take their credential field's verdict; one with no
  credential field but a placeholder server or endpoint is a placeholder, and the Azure
  Storage emulator's settings (``UseDevelopmentStorage=true``, ``devstoreaccount1``) are a
  vendor example. Also placeholders: a GUID of one repeated digit, one name numbered over
  a list (``appKey1,appKey2``), an ``UPPER_SNAKE`` name ending in its own key's words.
  References also: an armored PGP message (SaltStack's gpg renderer), a ternary env read
  (``process.env.X ? process.env.X : 'dev'``). ERB ``<%= ENV['X'] %>`` stays a template
  (a placeholder), as labelled since wild3.
- Not placeholders: PascalCase type names from code (``SecretStr``): the vocabulary
  inside an identifier decides nothing.

Round five (issue 13): booleans under a secret key, sentences in any language, names in
capitals, leetspeak credential words, counting down and values that name themselves are
placeholders (:mod:`.nonvalues`); Argo CD ``$secret:key`` references and store shorthands
(``secretsmanager:prod/db:password``) are references; a URL whose path or query holds a
marked stand-in (``/v2/YOUR_API_KEY``), or whose password is its user name plus digits, is a
placeholder; ``adminSecret: keycloak-admin-secret`` names a Secret.

The rule modules: :mod:`.vocabulary` (word lists), :mod:`.nonvalues` (non-values),
:mod:`.words` (reading a value as words),
:mod:`.patterns` (templates, references, vendor examples), :mod:`.pointers` (the grammar of
pointers to secret stores), :mod:`.vendors` (provider prefixes, documented keys, URLs, PEM),
:mod:`.fields` (JSON and inline credential fields), :mod:`.connstrings` (``Name=value;``
connection strings), :mod:`.lookups` (lookups and names of
secrets kept elsewhere), :mod:`.fallback` (the shape rules, run
last), :mod:`.padding` and :mod:`.shapes` (runs, encodings, weak defaults, descriptions).

May import: the root modules below it (providers, ``_lazyre``); ``judgement`` reads the
map's types only under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from secretsync import providers
from secretsync._lazyre import lazy_compile
from secretsync.placeholders import (
    connstrings,
    fields,
    lookups,
    nonvalues,
    patterns,
    pointers,
    words,
)
from secretsync.placeholders import vocabulary as vocab
from secretsync.placeholders.fallback import last_shapes as _last_shapes
from secretsync.placeholders.fallback import shape as _shape
from secretsync.placeholders.keys import looks_secret_bearing_key
from secretsync.placeholders.vendors import pem as _pem
from secretsync.placeholders.vendors import provider_placeholder as _provider_placeholder
from secretsync.placeholders.vendors import url as _url
from secretsync.placeholders.vendors import vendor_example as _vendor_example
from secretsync.placeholders.verdict import Classification, Verdict, placeholder

__all__ = ["Classification", "Verdict", "classify", "is_placeholder", "looks_secret_bearing_key"]


_ph = placeholder


# --- the rules ------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _key_tokens(key: str | None) -> frozenset[str]:
    return frozenset(words.tokens(key)) - {"\0"} if key else frozenset()


def classify(value: str, key: str | None = None) -> Classification:
    """Sort ``value`` into empty / placeholder / reference / secret.

    ``key`` is the name the value is stored under (``OPENAI_API_KEY``); it lets a value that
    merely repeats its own name be caught, and its words count as placeholder words.
    """
    text = value.strip()
    if not text:
        kind = "empty" if value == "" else "whitespace"
        return Classification(Verdict.EMPTY, kind, f"the value is {kind}")
    lower = text.lower()
    if lower in vocab.NULL_LIKE:
        return _ph("null-like", "a null-like word stands in for a value")
    if lower in vocab.DIRECTIVES:
        return _ph("directive", "asks for a value to be generated instead of being one")
    flag = nonvalues.boolean(lower, key)
    if flag is not None:
        return flag
    if text.startswith("-----BEGIN"):
        return _pem(text) or _pgp_message(text) or _secret(text)
    if text.startswith("ENC["):
        sealed = pointers.ciphertext(text)
        if sealed is not None:
            return _ciphertext(sealed)
    ref = patterns.reference(text)
    if ref is not None and "<" in text and patterns.ANGLE_INSIDE.search(text):
        # "arn:aws:secretsmanager:<region>:..." is a reference nobody filled in
        return _ph("template:angle", "a reference with a <name> placeholder in it")
    whole = _whole_reference(text, ref)
    if whole is not None:
        return whole
    if text[0] == "{" and text[-1] == "}" and '"' in text:
        inside = fields.json_fields(text, classify)
        if inside is not None:
            return inside
    if ('"' in text or "'" in text) and patterns.INLINE_FIELD.search(text):
        inline = fields.inline_fields(text, classify)
        if inline is not None:
            return inline
    if text[0] in patterns.TEMPLATE_STARTS:
        for pattern, kind, reason in patterns.TEMPLATES:
            if pattern.fullmatch(text):
                return _template(text, kind, reason)
    if "${{" in text:  # GitHub Actions expression inside a longer value
        if patterns.GHA_SECRET.search(text):
            return _ph("template:github-actions", "an unrendered GitHub Actions secrets expression")
        if patterns.GHA_VARIABLE.search(text):
            return Classification(
                Verdict.REFERENCE, "reference:github-actions", "a GitHub Actions expression"
            )
    if _jinja(text):
        return _ph("template:jinja", "an unrendered Jinja/Helm/Mustache template")
    if "${" in text and patterns.INTERPOLATION.search(text):
        return Classification(
            Verdict.REFERENCE, "reference:interpolation", "interpolates a variable"
        )
    if "<" in text and patterns.ANGLE_INSIDE.search(text):
        return _ph("template:angle", "contains a <name> placeholder")
    if "$" in text and patterns.EMBEDDED_VARIABLE.search(text):
        return Classification(
            Verdict.REFERENCE, "reference:interpolation", "interpolates a variable"
        )
    embedded = (
        patterns.EMBEDDED_REFERENCE.search(text) if ("://" in text or "arn:" in text) else None
    )
    if embedded is not None and embedded.lastgroup is not None:
        _, kind, reason = patterns.REFERENCE_RULES[int(embedded.lastgroup[1:])]
        return Classification(Verdict.REFERENCE, kind, f"{reason}, inside a longer value")
    if "=" in text:
        joined = connstrings.connection_string(text, classify)
        if joined is not None:
            return joined
    if len(text) == 36 and _UNIFORM_GUID.fullmatch(text):
        return _ph("padding", "a GUID whose digits are all one character")
    named = lookups.lookup(text, key)
    if named is not None:
        return named
    key_tokens = _key_tokens(key)
    found = (
        _vendor_example(text)
        or ("://" in text and _url(text, key_tokens))
        or _provider_placeholder(text, key_tokens)
        or _shape(text, key, key_tokens)
    )
    return (
        found or nonvalues.non_value(text, key_tokens, key) or _last_shapes(text) or _secret(text)
    )


_PATH_KINDS = frozenset(("reference:path", "reference:file"))
_HOLED_KINDS = frozenset(("reference:uri", "reference:1password", "reference:vault"))
_CIPHER_KINDS = frozenset(("reference:sops", "reference:encrypted"))


def _ciphertext(sealed: bool) -> Classification:
    if sealed:
        return Classification(
            Verdict.REFERENCE, "reference:encrypted", "hiera-eyaml ciphertext: the key is elsewhere"
        )
    return _ph("template:ciphertext", "an ENC[...] marker with no ciphertext in it")


def _whole_reference(text: str, ref: re.Match[str] | None) -> Classification | None:
    """The reference rule the whole value matched, unless the match is really words."""
    if ref is None or ref.lastgroup is None:
        return None
    _, kind, reason = patterns.REFERENCE_RULES[int(ref.lastgroup[1:])]
    if kind in _PATH_KINDS and _holed_path(text):
        return None  # "/your/db/password": a path nobody filled in
    if kind in _HOLED_KINDS and pointers.holed(text):
        return None  # "sm://your-project/x", "{{ op://VAULT_PLACEHOLDER/x }}": not filled in
    if kind in _CIPHER_KINDS and "..." in text:
        return _ph("elided", "ciphertext shown cut off with '...'")
    # Terraform names are snake_case; "local.dev.password" is words with dots.
    if kind == "reference:terraform" and not (
        "_" in text or "[" in text or text.startswith(("var.", "module.", "data."))
    ):
        return None
    if kind == "reference:env" and _secret_fallback(text):
        return Classification(
            Verdict.SECRET, "env-fallback", "an environment read whose fallback is a secret"
        )
    return Classification(Verdict.REFERENCE, kind, reason)


_FALLBACK = lazy_compile(r"(?:\|\||\?\?|\s:)\s*([\"'`])(.{12,}?)\1\s*;?")


def _secret_fallback(text: str) -> bool:
    """``process.env.X || "GOCSPX-..."``: the literal ships with the code, so a real key
    there is leaked whatever the environment says; a dev default stays a reference."""
    if "|" not in text and "?" not in text:
        return False
    found = _FALLBACK.search(text)
    return found is not None and classify(found.group(2)).verdict is Verdict.SECRET


def _holed_path(text: str) -> bool:
    """A placeholder word (``your``, ``example``) in a path's folders: a hole, not a place."""
    folders = text.rsplit("/", 1)[0].split(":/", 1)[-1]  # not a LoadCredential id
    return any(token in vocab.MARKERS for token in words.tokens(folders))


def _jinja(text: str) -> bool:
    """``{{ }}``, ``{% %}`` or ERB ``<% %>`` anywhere (string search: nothing to backtrack)."""
    for start, end in (("{{", "}}"), ("{%", "%}"), ("<%", "%>")):
        at = text.find(start)
        if at >= 0 and text.find(end, at + 2) >= 0:
            return True
    return False


_UNIFORM_GUID = lazy_compile(r"([0-9a-fA-F])\1{7}-\1{4}-\1{4}-\1{4}-\1{12}")
_PGP_BODY = lazy_compile(r"[A-Za-z0-9+/=]{40,}")
_PGP_HEAD, _PGP_TAIL = "-----BEGIN PGP MESSAGE-----", "-----END PGP MESSAGE-----"


def _pgp_message(text: str) -> Classification | None:
    """An armored PGP message (SaltStack's gpg renderer): ciphertext, the key is elsewhere."""
    if not text.startswith(_PGP_HEAD) or not text.endswith(_PGP_TAIL):
        return None
    lines = text[len(_PGP_HEAD) : -len(_PGP_TAIL)].split()
    body = "".join(line for line in lines if ":" not in line)  # armor headers: "Version: x"
    if _PGP_BODY.fullmatch(body) is None:
        return None
    return Classification(
        Verdict.REFERENCE, "reference:encrypted", "a PGP-encrypted message: the key is elsewhere"
    )


def _template(text: str, kind: str, reason: str) -> Classification:
    inner = text.strip("<>[]{}").strip().lower()
    if inner in ("redacted", "hidden", "filtered", "masked", "removed"):
        return _ph("redacted", "a redaction marker")
    return _ph(kind, reason)


def _secret(text: str) -> Classification:
    provider = providers.detect(text)
    if provider is not None:
        return Classification(Verdict.SECRET, f"provider:{provider.name}", provider.description)
    return Classification(Verdict.SECRET, "opaque", "no placeholder pattern matched")


def is_placeholder(value: str, key: str | None = None) -> bool:
    """True when :func:`classify` calls the value a placeholder."""
    return classify(value, key).verdict is Verdict.PLACEHOLDER
