"""The map file: reading it with positions, validating it, and the resolved map.

Owns ``config/secret_map.yaml`` end to end: :mod:`.yamlnodes` (YAML with a position for
every node), :mod:`.model` (``Secret``, ``SecretMap``: what every other package reads),
:mod:`.validation` (every rule, each problem at ``file:line:column``) and :mod:`.load`
(finding and loading a map), :mod:`.cache` (the validated map kept as JSON, keyed by the
file's bytes, so the CLI and runtime settings validate a map once). May import: the root
modules (errors, providers, _version).
"""
