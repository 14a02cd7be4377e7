"""The typed settings model: one value type per map type, the base class, the map-built class.

Every value check runs inside pydantic (so all problems are collected in one pass) and every
failure becomes one :class:`~secretsync.errors.SettingsError` that names fields and reasons,
never values: pydantic is told to hide inputs, and the reasons come from our own validators
or pydantic's fixed messages, scrubbed of the inputs once more to be sure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AliasChoices,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    create_model,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from secretsync.errors import ConfigError, SettingsError
from secretsync.runtime.fields import (
    ESC_SKIPPED,
    declared_aliases,
    field_aliases,
    secretsync_meta,
)

if TYPE_CHECKING:
    from secretsync.map.model import Secret, SecretMap

__all__ = [
    "JsonData",
    "Pem",
    "SecretSyncSettings",
    "SecretText",
    "SecretUrl",
    "SettingsField",
    "Text",
    "build_settings_class",
    "field_aliases",
    "secretsync_meta",
    "settings_fields",
]

# ------------------------------------------------------------------------------ checks


def _present(value: Any) -> Any:
    """Empty and whitespace-only text is a missing value (an unset GitHub secret in a
    workflow arrives as ``""``), reported as such rather than as a parse error."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("empty")
    return value


def _real(value: Any, info: ValidationInfo) -> Any:
    """A secret must be a real value: not a placeholder, not an unresolved reference."""
    return _classified(value, info.field_name, strict=True)


def _text(value: Any, info: ValidationInfo) -> Any:
    """Plain text (a region, a user name): judged by
    :func:`~secretsync.placeholders.judgement.judge_value` as ``string``, so ``production``
    or ``admin`` are real values while unambiguous placeholders, unresolved references and
    emptiness are refused."""
    return _classified(value, info.field_name, strict=False)


def _classified(value: Any, key: str | None, *, strict: bool) -> Any:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        return value
    from secretsync.placeholders import Verdict
    from secretsync.placeholders.judgement import judge_value

    # The same rules as sync, push and audit: strict for credentials, only unambiguous
    # placeholders for plain text.
    found = judge_value("secret" if strict else "string", value, key)
    if found is None:
        return value
    if found.verdict is Verdict.EMPTY:
        raise ValueError("empty")
    if found.verdict is Verdict.REFERENCE:
        raise ValueError(f"an unresolved reference: {found.reason}")
    raise ValueError(f"a placeholder: {found.reason}")


def _url(value: SecretStr) -> SecretStr:
    parts = urlsplit(value.get_secret_value().strip())
    if not parts.scheme or not parts.netloc:
        raise ValueError("not an absolute URL (scheme://host/...)")
    return value


def _pem(value: SecretStr) -> SecretStr:
    text = value.get_secret_value()
    if "-----BEGIN " not in text or "-----END " not in text:
        raise ValueError("not PEM text (no -----BEGIN/-----END armour lines)")
    return value


def _json(value: Any) -> Any:
    if not isinstance(value, (str, bytes)):
        return value  # already structured (an ESC object, an init argument)
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        # The position, never the document: JSONDecodeError keeps the text in `.doc`.
        raise ValueError(
            f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None


# Map type -> annotation. URLs are secret: webhook URLs and DSNs carry their credentials.
SecretText = Annotated[SecretStr, BeforeValidator(_real)]
Pem = Annotated[SecretStr, BeforeValidator(_real), AfterValidator(_pem)]
SecretUrl = Annotated[SecretStr, BeforeValidator(_real), AfterValidator(_url)]
Text = Annotated[str, BeforeValidator(_text)]
Int = Annotated[int, BeforeValidator(_present)]
Bool = Annotated[bool, BeforeValidator(_present)]
JsonData = Annotated[Any, BeforeValidator(_json), BeforeValidator(_present)]

ANNOTATIONS: dict[str, Any] = {
    "secret": SecretText,
    "pem": Pem,
    "url": SecretUrl,
    "string": Text,
    "int": Int,
    "bool": Bool,
    "json": JsonData,
}
# How the generated module spells each type (names exported by `secretsync.runtime`).
TYPE_NAMES: dict[str, str] = {
    "secret": "SecretText",  # secretsync: ignore (a type name)
    "pem": "Pem",
    "url": "SecretUrl",
    "string": "Text",
    "int": "Int",
    "bool": "Bool",
    "json": "JsonData",
}

# ------------------------------------------------------------------------- base class


class SecretSyncSettings(BaseSettings):
    """Base of every secretsync settings class (map-built or generated).

    Sources, first wins: init arguments, the process environment, the ESC environment,
    the keyring, ``.env``. Values never appear in ``repr``/``str`` or in errors.
    """

    model_config = SettingsConfigDict(
        case_sensitive=True,
        extra="ignore",
        frozen=True,
        env_file=".env",
        env_file_encoding="utf-8",
        hide_input_in_errors=True,
    )

    # Deploy environment -> "org/project/esc-env", for the ESC source.
    secretsync_esc: ClassVar[Mapping[str, str]] = {}
    # Keyring service the keyring source reads (username: the secret name).
    secretsync_keyring_service: ClassVar[str] = "secretsync-settings"

    def __init__(self, **values: Any) -> None:
        token = ESC_SKIPPED.set(None)
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise settings_error(exc, type(self), ESC_SKIPPED.get()) from None
        finally:
            ESC_SKIPPED.reset(token)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        from secretsync.runtime.sources import default_chain

        return default_chain(settings_cls, init_settings, dotenv_settings)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Whether each field is set, never what it holds (plain types included: a `string`
        # or `json` secret is still a secret).
        for name in type(self).model_fields:
            value = self.__dict__.get(name)  # may be absent while __init__ fails
            yield name, None if value is None else _SET

    def __str__(self) -> str:
        return repr(self)


class _Set:
    def __repr__(self) -> str:
        return "<set>"


_SET = _Set()

# --------------------------------------------------------------------------- errors


def settings_error(
    exc: ValidationError, cls: type[BaseSettings], esc_skipped: str | None = None
) -> SettingsError:
    """One error naming every bad field and why, from a pydantic ValidationError."""
    from secretsync.masking import Redactor

    by_alias = {
        alias: name for name, info in cls.model_fields.items() for alias in declared_aliases(info)
    }
    inputs = Redactor(
        str(err.get("input")) for err in exc.errors() if isinstance(err.get("input"), str)
    )
    problems: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        key = str(loc[0]) if loc else "(settings)"
        name = by_alias.get(key, key)
        if err["type"] == "missing":
            names = (
                " or ".join(declared_aliases(cls.model_fields[name]))
                if name in cls.model_fields
                else key
            )
            reason = f"not set (looked for {names})"
        elif err["type"] == "value_error":
            # Our validators' own words (the classifier's reasons never quote the value).
            reason = str(err["msg"]).removeprefix("Value error, ")
        else:
            # pydantic's messages do not quote inputs today; scrub them in case one does.
            reason = inputs.redact(str(err["msg"]))
        problems.setdefault(name, reason)
    return SettingsError(
        problems,
        hint="set each variable (or the ESC environment, keyring, .env); see the map",
        note=f"ESC was not read: {esc_skipped}" if esc_skipped else None,
    )


# ------------------------------------------------------------------ the map-built class


@dataclass(frozen=True)
class SettingsField:
    """One field of the settings class, as the map defines it."""

    secret: Secret
    required: bool
    aliases: tuple[str, ...]  # env_var first, then the secret name when it is free

    @property
    def name(self) -> str:
        return self.secret.field


def settings_fields(smap: SecretMap, environment: str | None) -> list[SettingsField]:
    """The fields for one deploy environment, or for the union of all (sorted by field).

    Union rule: a secret is required only when it is required in every environment.
    The secret name is accepted after ``env_var`` unless another secret's env var uses it.
    """
    every = tuple(smap.environments)
    secrets = smap.secrets_for(environment) if environment else list(smap.secrets.values())
    taken = set(smap.by_env_var)
    fields = []
    for secret in sorted(secrets, key=lambda s: s.field):
        _check_field_name(secret)
        required = secret.required and (
            environment is not None or set(every) <= set(secret.environments)
        )
        aliases = [secret.env_var]
        if secret.name != secret.env_var and secret.name not in taken:
            aliases.append(secret.name)
        fields.append(SettingsField(secret, required, tuple(aliases)))
    return fields


def _check_field_name(secret: Secret) -> None:
    if hasattr(SecretSyncSettings, secret.field) or secret.field.startswith("secretsync_"):
        raise ConfigError(
            f"{secret.name}: settings field {secret.field!r} is taken by the settings class",
            hint=f"set `field:` for {secret.name} in the map (line {secret.line})",
        )


def build_settings_class(
    smap: SecretMap, environment: str | None = None
) -> type[SecretSyncSettings]:
    """A ``SecretSyncSettings`` subclass with one typed field per secret of the map."""
    definitions: dict[str, Any] = {}
    for spec in settings_fields(smap, environment):
        annotation = ANNOTATIONS[spec.secret.type]
        alias: str | AliasChoices = (
            spec.aliases[0] if len(spec.aliases) == 1 else AliasChoices(*spec.aliases)
        )
        field = Field(
            default=... if spec.required else None,
            validation_alias=alias,
            description=spec.secret.description or None,
            json_schema_extra={
                "secretsync": {"secret": spec.secret.name, "esc_path": spec.secret.esc_path}
            },
        )
        definitions[spec.name] = (annotation if spec.required else annotation | None, field)
    cls: type[SecretSyncSettings] = create_model(
        "Settings",
        __base__=SecretSyncSettings,
        __doc__=f"Runtime settings from {smap.path.name}"
        + (f" ({environment})" if environment else ""),
        **definitions,
    )
    cls.secretsync_esc = {env: smap.esc_ref(env) for env in smap.environments}
    return cls
