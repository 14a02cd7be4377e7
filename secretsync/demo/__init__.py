"""``secretsync demo``: the whole cycle against an in-process emulator.

:mod:`.values` (fake values per format), :mod:`.scenario` (seeding the emulator from the
map), :mod:`.run` (driving the CLI through the cycle). The top layer: may import every
other package, the CLI included; nothing imports it but ``cli.commands.demo``.
"""
