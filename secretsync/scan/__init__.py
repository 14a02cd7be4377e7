"""Files: which to read, values per format, the judgement of each, baselines, lint.

:mod:`.paths` (which files, what they are for), :mod:`.formats` (key/value extraction per
format with positions), :mod:`.scanner` (findings), :mod:`.baseline` (accepted findings),
:mod:`.lint` (``os.getenv`` reads of mapped secrets). May import: placeholders and the
root modules; never clients or the emulator (the pre-commit hook stays lean).
"""
