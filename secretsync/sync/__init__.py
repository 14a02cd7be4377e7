"""Moving values: the ESC definition editor, sources, plan, apply (sync) and push.

:mod:`.sources` (where values come from), :mod:`.definition` (reading and editing an ESC
definition and sync's bookkeeping), :mod:`.plan` (the diff), :mod:`.apply` (one conditional
write per environment), :mod:`.push` (sealed-box writes into GitHub). May import: map,
placeholders, clients and the root modules.
"""
