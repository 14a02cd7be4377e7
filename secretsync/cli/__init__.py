"""The command line: a thin layer that parses flags and calls the library.

May import: every package but ``demo`` (the ``demo`` command's module alone runs it).
"""
