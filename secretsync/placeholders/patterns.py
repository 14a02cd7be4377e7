"""The tables of fixed shapes: references to secret stores, unrendered templates, vendor
documentation keys and public provider prefixes.

All compiled once at import; none of the expressions can backtrack badly (no nested
quantifiers over overlapping classes), so a hostile value costs linear time.
"""

from __future__ import annotations

import re

from secretsync import providers
from secretsync._lazyre import lazy_compile
from secretsync.placeholders.pointers import POINTER_CALL_RULES, POINTER_RULES

REFERENCE_RULES: tuple[tuple[str, str, str], ...] = (
    (
        r"\$\{\{\s*(?:env|vars|inputs|github|needs|steps)\.[\w.-]+\s*\}\}",
        "reference:github-actions",
        "a GitHub Actions expression naming a variable",
    ),
    (r"\$\{env:[A-Za-z_]\w*\}", "reference:env", "points to an environment variable"),
    (
        r"\$(?:[A-Z_][A-Z0-9_]*|[a-z][a-z0-9]*_[a-z0-9_]+)",
        "reference:env",
        "points to an environment or shell variable",
    ),
    (r"%[A-Z_][A-Z0-9_]*%", "reference:env", "points to a Windows environment variable"),
    (r"env:[A-Za-z_]\w*", "reference:env", "points to an environment variable"),
    (r"op://\S+", "reference:1password", "points to a 1Password item"),
    (r"vault:\S+", "reference:vault", "points to a HashiCorp Vault path"),
    (r"ref\+[a-z0-9]+://\S+", "reference:vals", "a vals-style secret reference"),
    (
        r"arn:aws:(?:secretsmanager|ssm):\S+",
        "reference:aws",
        "points to AWS Secrets Manager or SSM",
    ),
    (r"@Microsoft\.KeyVault\(.+\)", "reference:azure-key-vault", "points to Azure Key Vault"),
    (
        # secret-store shorthands: `secretsmanager:prod/db:password`, `ssm:/prod/db/pass`,
        # `gcpsm:name:latest`: a store's name, then a path with a separator in it
        r"(?i:aws-?)?(?i:secrets?-?manager|ssm|parameter-?store|gcp-?sm|gsm|secret-?manager"
        r"|key-?vault|akv|sm)s?:(?!//)(?=[^\s:]*[/.])[\w/.@-]+(?::[\w.@/-]+){0,2}",
        "reference:aws",
        "a secret store's shorthand: store, path and key",
    ),
    (
        # Argo CD: `$oidc.keycloak.clientSecret` (a key of argocd-secret) or
        # `$my-secret:oidc.clientSecret` (a key of another Secret)
        r"\$[a-z0-9][a-z0-9-]*(?:\.[A-Za-z0-9_-]+)+|\$(?!env:)[a-z0-9][a-z0-9.-]*:[A-Za-z0-9_.-]+",
        "reference:kubernetes",
        "an Argo CD reference to a key of a Kubernetes Secret",
    ),
    (
        r"projects/[\w.-]+/secrets/[\w.-]+(?:/versions/[\w.-]+)?",
        "reference:gcp",
        "points to GCP Secret Manager",
    ),
    (r"(?:sm|gcp-sm|doppler|infisical|akv|aws-sm)://\S+", "reference:uri", "a secret-manager URI"),
    (r"ENC\[[A-Z0-9_]+,data:.*\]", "reference:sops", "a SOPS-encrypted value"),
    (r"(?:/var)?/run/secrets(?:/[\w.-]+)+", "reference:file", "a path to a mounted secret file"),
    (
        # process.env.X, process.env["X"], with an `|| 'fallback'` as in `${X:-fallback}`
        # or a ternary `process.env.X ? process.env.X : 'fallback'`
        r"(?:process\.env|import\.meta\.env)(?:\.\w+|\[[\"'][\w.-]+[\"']\])!?"
        r"(?:\s*(?:\|\||\?\?)\s*\S.*|\s*\?\s*\S.*:\s*\S.*)?"
        r"|(?:os\.environ|ENV|\$_ENV|\$_SERVER)\[[\"'][\w.-]+[\"']\]|\$ENV\{[\"']?\w+[\"']?\}"
        r"|(?:os\.getenv|os\.environ\.get|ENV\.fetch|System\.getenv|Deno\.env\.get"
        r"|os\.Getenv|Environment\.GetEnvironmentVariable|(?:std::)?env::var)\(.+\)",
        "reference:env",
        "code that reads an environment variable",
    ),
    (
        # Ruby File.read('/run/secrets/x').strip, Node fs.readFileSync('/run/secrets/x', 'utf8')
        r"(?:File|IO|fs)\.(?:read|readFileSync|ReadAllText)\(\s*[\"'][^\"'\s]+[\"'][^()]*\)"
        r"(?:\.\w+(?:\(\))?)*",
        "reference:file",
        "code that reads the value from a named file",
    ),
    (
        r"\{cipher\}[A-Za-z0-9+/=]{8,}",
        "reference:encrypted",
        "a Spring Cloud Config {cipher} value: ciphertext, the key is kept elsewhere",
    ),
    (r"@[a-z][a-z0-9]*[-_][a-z0-9_-]+", "reference:platform", "names a Vercel secret"),
    (
        r"(?:(?:%[\w.]+%|~|\.{1,2})?/|classpath:/?|file:/*)(?:[\w.@%-]+/)*[\w.@-]+"
        r"\.(?:pem|key|p12|pfx|jks|keystore|crt|cer|der|asc|gpg|txt|json)",
        "reference:file",
        "a path to a key or secret file",
    ),
    (
        r"(?:/[\w.-]+){2,}/[\w.-]*(?i:pass|secret|token|key|cred|pwd)[\w.-]*",
        "reference:path",
        "a secret-store path (SSM parameter or Vault style)",
    ),
    (r"\$ANSIBLE_VAULT;.*", "reference:ansible-vault", "an Ansible Vault-encrypted value"),
    (
        # argocd-vault-plugin <path:kv/data/app#key[#version]>, argocd-vault-replacer
        # <vault:/store/data/path~key>: resolved from Vault when the manifest is rendered
        r"<path:[^<>\s#]+#[^<>\s#]+(?:#\d+)?>|<vault:[^<>\s~]+~[^<>\s]+>",
        "reference:vault",
        "an Argo CD Vault plugin placeholder, filled from Vault at render time",
    ),
    (
        # YAML tags that name where the value lives: Home Assistant / ESPHome
        # `!secret wifi_password` (secrets.yaml), `!env_var NAME`, `!ENV NAME` or `!ENV ${NAME}`
        r"!secret\s+[\w.-]+",
        "reference:platform",
        "a YAML !secret tag naming an entry of a secrets.yaml file",
    ),
    (
        r"!(?:env_var|ENV)\s+(?:[A-Za-z_]\w*|\$\{[A-Za-z_]\w*\})(?:\s+\S+)?",
        "reference:env",
        "a YAML tag reading an environment variable",
    ),
    (
        r"(?:var|local|module|data\.[a-z][\w-]*)\.[A-Za-z_][\w-]*(?:\.[\w-]+|\[[^\]]+\])*"
        r"|(?:resource\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][\w-]*(?:\[[^\]]+\])?"
        r"\.(?:result|id|value|content|arn|password|token|secret_string|secret_binary"
        r"|[a-z]+_[a-z_]*(?:key|password|secret|token))"
        r"(?:\[[^\]]+\])?",
        "reference:terraform",
        "a Terraform expression naming a variable, data source or resource",
    ),
    *POINTER_RULES,
)
#: Code and tool syntax that always ends in ``)`` or ``}``: matched only against values
#: that do, so the common case (a plain token) pays nothing for them.
CALL_RULES: tuple[tuple[str, str, str], ...] = (
    (
        # env("X"), System.get_env("X"), config.getenv('X', ''): a call named for the
        # environment with a quoted variable name
        r"(?:[A-Za-z_][\w.]*\.)?(?:env|getenv|get_env|fetch_env!?|getEnv)"
        r"\(\s*[\"'][\w.-]+[\"']\s*(?:,[^()]*)?\)",
        "reference:env",
        "code that reads an environment variable",
    ),
    (
        r"credentials\(\s*[\"'][\w./-]+[\"']\s*\)"
        r"|Rails\.application\.(?:credentials|secrets)(?:\.\w+|\[:?\w+\]|\.dig\([^()]*\))+",
        "reference:platform",
        "names a secret kept by the CI or app platform (Jenkins, Rails credentials)",
    ),
    (
        r"\{\{resolve:(?:ssm|ssm-secure|secretsmanager):[^{}]+\}\}"
        r"|\(\(\s*(?:awsparam|awssecret)\s.+\)\)",
        "reference:aws",
        "a CloudFormation or spruce reference to SSM or Secrets Manager",
    ),
    (r"\(\(\s*vault\s.+\)\)", "reference:vault", "a spruce reference to a Vault path"),
    (
        r"ENC\([A-Za-z0-9+/=]{8,}\)",
        "reference:encrypted",
        "a Jasypt ENC(...) value: ciphertext, the key is kept elsewhere",
    ),
    (
        # Grafana's $__env{X} / $__file{path} / $__vault{ref} configuration expansion
        r"\$__(?:env|file|vault)\{[^{}]+\}",
        "reference:env",
        "a Grafana variable expansion naming an environment variable, file or vault",
    ),
    (
        # {{process.env.X}} (Bruno), {{ env "X" }} (consul-template), {{ getenv "X" }}: a
        # template whose one job is reading a named environment variable;
        # gomplate's {{ .Env.X }}, dbt's {{ env_var('X', 'default') }}; also through one
        # function (`{{ base64.Encode .Env.X }}`) or filters (`| b64enc`), still one variable
        r"\{\{-?\s*(?:[A-Za-z_][\w.]*\s+)?"
        r"(?:process\.env(?:\.\w+|\[[\"'][\w.-]+[\"']\])|(?:env|getenv)\s+\"[\w.-]+\""
        r"|\.Env\.\w+|env_var\(\s*[\"'][\w.-]+[\"']\s*(?:,\s*[\"'][^\"'{}]*[\"']\s*)?\))"
        r"(?:\s*\|\s*[A-Za-z_][\w.]*(?:\s+\"[^\"{}]*\")*)*\s*-?\}\}",
        "reference:env",
        "a template that reads a named environment variable",
    ),
    *POINTER_CALL_RULES,
)
_BASE_COUNT = len(REFERENCE_RULES)
REFERENCE_RULES = REFERENCE_RULES + CALL_RULES


def _alternation(indexes: range) -> re.Pattern[str]:
    """Rules as one alternation, groups named ``r<index>``: one C-level match per value."""
    return lazy_compile("|".join(f"(?P<r{i}>{REFERENCE_RULES[i][0]})" for i in indexes), re.S)


REFERENCES = _alternation(range(_BASE_COUNT))
CALL_REFERENCES = _alternation(range(_BASE_COUNT, len(REFERENCE_RULES)))


def reference(text: str) -> re.Match[str] | None:
    """The reference rule ``text`` matches whole, if any."""
    if text.isascii() and text.isalnum():
        # Every rule needs punctuation ($, :, /, {, % ...): skip compiling the big
        # alternation for the plain tokens most values are.
        return None
    found = REFERENCES.fullmatch(text)
    if found is None and (text[-1] in ")}]" or text.startswith("Rails.")):
        found = CALL_REFERENCES.fullmatch(text)
    return found


#: Secret-manager references that still point elsewhere when embedded in a longer value
#: (``postgresql://user:op://vault/item/field@host/db``); the rest need the whole value.
EMBEDDED_REFERENCE = lazy_compile(
    "|".join(
        f"(?P<r{i}>{rx})"
        for i, (rx, kind, _) in enumerate(REFERENCE_RULES[:_BASE_COUNT])
        if kind in ("reference:1password", "reference:vals", "reference:aws")
    )
)
#: ``${VAR}``, ``${VAR:-default}``, JavaScript's ``${ name }`` ... anywhere in the value: an
#: interpolation.
INTERPOLATION = lazy_compile(
    r"\$\{\s*(?:sm@|sm://)?[A-Za-z_][\w.\[\]/-]*\s*(?:(?::?[-=?+]|[:(])[^}]*)?\}"
)
#: ``password=$POSTGRES_PASSWORD`` inside a DSN or URL: an upper-case variable with an
#: underscore, standing as its own field (a random key has no such run).
EMBEDDED_VARIABLE = lazy_compile(r"(?:^|[=:/@\s])\$[A-Z][A-Z0-9]*_[A-Z0-9_]+(?=$|[\s/@:;&?,])")

#: ``password: 'dummy'``, ``password="admin-secret"``: a quoted credential field inside a
#: longer value (a JS object, a JAAS line, a flow map). The name must start a field.
INLINE_FIELD = lazy_compile(
    r"(?i)(?:^|[\s{,;(\[])[\"']?(?P<name>pass(?:word|wd)?|pwd|secret|token|api[_-]?key)[\"']?"
    r"\s*[:=]\s*(?P<q>[\"'])(?P<field>[^\"'\n]{0,200})(?P=q)"
)

TEMPLATES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (lazy_compile(rx, re.S), kind, reason)
    for rx, kind, reason in (
        (
            r"\$\{\{\s*secrets\.[\w-]+\s*\}\}",
            "template:github-actions",
            "an unrendered GitHub Actions secrets expression",
        ),
        (r"%\([^()]+\)[sdr]", "template:printf", "an unrendered %(name)s template"),
        (r"#\{[^{}]+\}#?", "template:replace-tokens", "an unrendered #{name}# token"),
        (r"\$\(.+\)", "template:command", "an unexpanded $(...) command or macro"),
        (r"__[A-Za-z0-9][\w.-]*__", "template:dunder", "an unreplaced __NAME__ token"),
        (r"@[A-Za-z][\w.-]*@", "template:at", "an unreplaced @name@ token"),
        (r"\{[A-Za-z_][\w .-]*\}", "template:braces", "an unformatted {name} field"),
        (r"\[[A-Za-z][\w .:-]*\]", "template:brackets", "a [name] placeholder"),
        (r"<%.*%>", "template:erb", "an unrendered ERB template"),
        (r"<[^<>]+>", "template:angle", "a <name> placeholder"),
    )
)
#: Password-provider objects that name an environment variable instead of holding a value
#: (Druid's ``{"type": "environment", "variable": "METADATA_STORAGE_PASSWORD"}``).
_PROVIDER_TYPES = frozenset(("environment", "env", "envvar"))
_PROVIDER_FIELDS = ("variable", "var", "env", "name")
_VARIABLE_NAME = lazy_compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def environment_provider(data: dict[str, object]) -> bool:
    """A JSON object whose ``type`` says "environment" and that names one variable."""
    kind = data.get("type")
    if not isinstance(kind, str) or kind.lower() not in _PROVIDER_TYPES:
        return False
    for field in _PROVIDER_FIELDS:
        name = data.get(field)
        if isinstance(name, str) and _VARIABLE_NAME.fullmatch(name):
            return True
    return False


GHA_SECRET = lazy_compile(r"\$\{\{\s*secrets\.")
GHA_VARIABLE = lazy_compile(r"\$\{\{\s*(?:env|vars|inputs|github|needs|steps)\.")
TEMPLATE_STARTS = frozenset("$%#_@{[<")
ANGLE_INSIDE = lazy_compile(r"<([A-Za-z][A-Za-z0-9_ .-]{1,60})>")

AWS_DOC_KEYS = frozenset(
    ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AKIAI44QH8DHBEXAMPLE")
)
STRIPE_DOC_KEYS = frozenset(
    ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "pk_test_TYooMQauvdEDq54NiTphI7jx",
     "sk_test_BQokikJOvBiI2HlWgH4olfQ2")
)  # fmt: skip
GITHUB_DOC_BODY = "16C7e42F292c6912E7710c838347Ae178B4a"
JWT_IO_CLAIMS = {"sub": "1234567890", "name": "John Doe"}

#: Public prefixes a provider-shaped placeholder may start with, longest first.
PREFIXES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        {(prefix, p.name) for p in providers.REGISTRY for prefix in p.prefixes}
        | {("sk-", "openai"), ("sk-ant-", "anthropic"), ("sk-proj-", "openai"),
           ("sk-svcacct-", "openai"), ("sk-admin-", "openai"), ("hf_", "huggingface"),
           ("pcsk_", "pinecone"), ("pypi-", "pypi"), ("xapp-", "slack_token"),
           ("github_pat_", "github"), ("gsk_", "groq"), ("r8_", "replicate")},
        key=lambda item: -len(item[0]),
    )
)  # fmt: skip
#: The prefixes above by their first two characters: one dict lookup instead of a scan.
PREFIX_INDEX: dict[str, tuple[tuple[str, str], ...]] = {
    start: tuple(item for item in PREFIXES if item[0][:2] == start)
    for start in {prefix[:2] for prefix, _ in PREFIXES}
}
