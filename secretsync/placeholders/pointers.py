"""The grammar of values that point at a secret kept elsewhere, by family rather than by row.

A pointer is one of four shapes:

- a scheme-qualified locator of a known secret store (``keeper://UID/field/password``,
  ``akeyless:/path``, an Azure Key Vault secret URL, a kubectl-rendered ``secretKeyRef``);
- a substitution token whose body is only a name (``%env.X%``, ``%{lookup('x')}``,
  ``!var path``, ``%d/credential``) or a store locator (``{{ op://vault/item/field }}``);
- a call that reads a named entry (``config.requireSecret("x")``, ``$env:X``, a Terraform
  function over a secret data source);
- a command a tool runs to fetch the value (mbsync ``PassCmd``, msmtp ``passwordeval``,
  ``vault kv get -field=x path``): the head names a secret-store CLI or reads a file.

Ciphertext markers with no ciphertext in them (``ENC[PKCS7,...]``) are placeholders, see
:func:`ciphertext_stub`. Every expression is linear: no nested quantifier over overlapping
classes.
"""

from __future__ import annotations

from secretsync._lazyre import lazy_compile

_NAME = r"[A-Za-z_][\w.-]*"
_QUOTED = r"[\"'][\w.:/@-]+[\"']"

#: URI schemes that name a secret store or a KMS (``bitwarden://item``, ``awskms://alias/x``,
#: ``azurekeyvault://name.vault.azure.net/secrets/x``): the value says where, never what.
_STORE_SCHEMES = (
    r"sm|gsm|gcp-?sm|gcpsecrets?|gcpkms|awskms|aws-?sm|aws-?ssm|awssecrets?|ssm"
    r"|secretsmanager|azurekeyvault|azure-?keyvault|azkv|akv|keyvault|hashivault|bitwarden|bws?"
    r"|1password|onepassword|lastpass|conjur|cyberark|delinea|thycotic|berglas|gopass|keychain"
)

#: Secret-store CLIs whose one job is printing a stored value; ``cat``/``gpg`` read a file.
_FETCH_HEADS = (
    r"(?:\S*/)?pass(?:\s+show)?\s+[\w@.+-]+/[\w@./+-]+(?:\s*\|\s*head\s+-n\s*1)?",
    r"gopass\s+(?:show|cat)\s+(?:-o\s+)?[\w@./+-]+",
    r"secret-tool\s+lookup(?:\s+[\w.@-]+){2,}",
    r"security\s+find-(?:generic|internet)-password\s.*-w",
    r"op\s+read\s+[\"']?op://\S+",
    r"bws?\s+(?:secret\s+get|get\s+(?:password|item|notes))\s+\S+.*",
    r"(?:doppler|infisical)\s+secrets\s+get\s+[\w-]+.*",
    r"vault\s+(?:kv\s+get|read)\s+(?:-\w+(?:=\S+)?\s+)*[\w./-]+",
    r"aws\s+(?:ssm\s+get-parameters?|secretsmanager\s+get-secret-value)\s+--\S.*",
    r"gcloud\s+secrets\s+versions\s+access\s+\S.*",
    r"az\s+keyvault\s+secret\s+show\s+\S.*",
    r"akeyless\s+get-secret-value\s+\S.*",
    r"sops\s+(?:-d|--decrypt)\s+\S.*",
    r"gpg2?\s+(?:-{1,2}[\w-]+\s+)*[~\w./-]+\.(?:gpg|asc|pgp)",
    r"(?:\S*/)?cat\s+[~$/\"'][^\s|;&]*(?:\s*\|\s*head\s+-n\s*1)?",
    r"echo\s+\$\{?[A-Za-z_]\w*\}?",
)

#: (pattern, kind, reason), checked against the whole value like the rules in
#: :mod:`.patterns`.
POINTER_RULES: tuple[tuple[str, str, str], ...] = (
    (
        r"(?i:" + _STORE_SCHEMES + r")://[\w./@+-]+|keeper://[\w-]+/(?:field|custom_field|file)/.+"
        r"|(?:ref\+)?akeyless:/{1,3}[\w./-]+|conjur:[\w:./-]+|bws://[\w-]+",
        "reference:uri",
        "a secret-manager URI",
    ),
    (
        r"https://[\w-]+\.vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net)"
        r"/secrets/[\w-]+(?:/[0-9a-f]{32})?/?",
        "reference:azure-key-vault",
        "an Azure Key Vault secret identifier",
    ),
    (
        r"<set to the key '[\w.-]+' (?:in secret|of config map) '[\w.-]+'>",
        "reference:kubernetes",
        "a rendered Kubernetes secretKeyRef / configMapKeyRef",
    ),
    (
        # TeamCity %env.X% / %teamcity.build.x%, with a path after it
        r"%(?:env\.)?[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+%(?:[\\/][\w.\\/-]*)?"
        r"|%env\.[A-Za-z_]\w*%(?:[\\/][\w.\\/-]*)?",
        "reference:env",
        "a build-server parameter reference",
    ),
    (
        # Hiera interpolation: %{lookup('key')}, %{alias('key')}, %{hiera('key')}
        r"%\{(?:lookup|alias|hiera|scope|literal)\(\s*" + _QUOTED + r"\s*\)\}",
        "reference:hiera",
        "a Hiera interpolation naming another key",
    ),
    (
        r"!var(?::file)?\s+[\w./-]+",
        "reference:conjur",
        "a Conjur/Summon !var tag naming a variable",
    ),
    (
        # systemd credentials: %d/name, $CREDENTIALS_DIRECTORY/name; LoadCredential=id:/path
        r"(?:%d|\$\{?CREDENTIALS_DIRECTORY\}?)/[\w.-]+"
        r"|[a-z][\w.-]*:/(?:etc|run|var|srv|opt|home|root|usr)(?:/[\w.@-]+)+",
        "reference:file",
        "a systemd credential or the file it is loaded from",
    ),
    (
        r"\$env:[A-Za-z_]\w*",
        "reference:env",
        "a PowerShell environment variable",
    ),
    (
        "(?:" + "|".join(_FETCH_HEADS) + ")",
        "reference:command",
        "a command that fetches the value from a secret store or file",
    ),
)

#: Code and templates that end in ``)``, ``}`` or ``]``: see :data:`.patterns.CALL_RULES`.
POINTER_CALL_RULES: tuple[tuple[str, str, str], ...] = (
    (
        # {{ op://vault/item/field }} (op inject), {{ infisical:///path }}: the template
        # names a store entry and nothing else
        r"\{\{-?\s*(?:op|infisical|doppler|vault)://[^{}<>]+?\s*-?\}\}",
        "reference:uri",
        "a template that names a secret-manager entry",
    ),
    (
        # Ansible {{ lookup('env', 'X') }} / lookup('ansible.builtin.env', 'X')
        r"\{\{-?\s*lookup\(\s*[\"'](?:ansible\.builtin\.)?env[\"']\s*,\s*"
        + _QUOTED
        + r"\s*\)(?:\s*\|\s*\w+(?:\([^(){}]*\))?)*\s*-?\}\}",
        "reference:env",
        "an Ansible template reading an environment variable",
    ),
    (
        # Pulumi config.requireSecret("x") / cfg.require_secret("x") / pulumi.secret(...)
        r"(?:pulumi\.secret\()?(?:config|cfg|conf)\.(?:[Rr]equire|[Gg]et)(?:_?[Ss]ecret)?"
        r"(?:Object)?\(\s*" + _QUOTED + r"\s*\)\)?",
        "reference:platform",
        "reads a named entry of the deploy tool's (encrypted) config",
    ),
    (
        r"\[(?:System\.)?Environment\]::GetEnvironmentVariable\(\s*"
        + _QUOTED
        + r"(?:\s*,\s*[\w.\"'\[\]:]+)?\s*\)",
        "reference:env",
        "code that reads an environment variable",
    ),
    (
        # jsondecode(data.aws_secretsmanager_secret_version.x.secret_string)["KEY"], also
        # wrapped again (base64decode(...)): a Terraform function over a secret data source
        r"(?:\w+\()+(?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[\w-]+"
        r"\.(?:secret_string|secret_data|secret_binary|value|data)\)"
        r"(?:\[[\"'][\w.-]+[\"']\])?\)*",
        "reference:terraform",
        "a Terraform function over a secret data source",
    ),
)


_CIPHER = lazy_compile(r"ENC\[(?:PKCS7|GPG),(?P<body>[^\]]*)\]")
_B64_BODY = lazy_compile(r"[A-Za-z0-9+/=\s]{24,}")


def ciphertext(text: str) -> bool | None:
    """``ENC[PKCS7,...]`` (hiera-eyaml): True with real ciphertext in it, False for a stub
    (``ENC[PKCS7,MY_ENCRYPTED_DATA]``, ``ENC[PKCS7,MIIB...]``), None when not such a value."""
    match = _CIPHER.fullmatch(text)
    if match is None:
        return None
    body = match.group("body")
    return "..." not in body and _B64_BODY.fullmatch(body) is not None


_HOLE_WORDS = frozenset(("your", "placeholder", "example", "changeme", "replace", "todo"))
_TOKENS = lazy_compile(r"[a-z]+")


def holed(text: str) -> bool:
    """A store locator with a hole in it (``sm://your-project/x``, ``op://VAULT_PLACEHOLDER``)."""
    return any(token in _HOLE_WORDS for token in _TOKENS.findall(text.lower()))
