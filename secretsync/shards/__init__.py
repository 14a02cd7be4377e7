"""Sync shards: past 100 organization secrets, which workflow sees which secret.

A workflow sees only the first 100 organization secrets available to its repository,
sorted by name. This package owns that rule (:mod:`.access`), the stable assignment of
mapped organization secrets to the map's ``sync.repositories`` and the visibility changes
that achieve it (:mod:`.assign`), reading the metadata it needs from GitHub (:mod:`.read`)
and making the changes through the selected-repositories API (:mod:`.apply`). No value is
ever read here except to re-seal one whose visibility must change.

May import: the root modules, ``map``, ``clients``, ``placeholders``, ``sync.sources``.
"""

from __future__ import annotations

from secretsync.shards.access import (
    ORG_SECRET_LIMIT,
    Arrangement,
    OrgSecretAccess,
    WorkflowView,
    can_use,
    workflow_view,
)
from secretsync.shards.assign import (
    Change,
    ShardPlan,
    dropped_owner,
    owner_of,
    plan_shards,
    shard_members,
)
from secretsync.shards.read import read_arrangement

__all__ = [
    "ORG_SECRET_LIMIT",
    "Arrangement",
    "Change",
    "OrgSecretAccess",
    "ShardPlan",
    "WorkflowView",
    "can_use",
    "dropped_owner",
    "owner_of",
    "plan_shards",
    "read_arrangement",
    "shard_members",
    "workflow_view",
]
