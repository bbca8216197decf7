"""pi-learner tasks over any MDM task (paper Sec. 2.4 eq. 3, App. C.1): ``permute_bundle``.

The permutation families and the batch permutation live in ``anyorder.objectives.permutations``; this module
wraps a task's ``TaskBundle`` (a tasks-layer object) into the causal pi-learner's bundle.
"""
from __future__ import annotations

import dataclasses

from anyorder.objectives.permutations import make_permutation, permuted_source
from anyorder.tasks.base import TaskBundle


def permute_bundle(bundle: TaskBundle, family: str, perm_seed: int) -> TaskBundle:
    """A pi-learner task built from an MDM ``TaskBundle``: ARM source along ``make_permutation(family, L, seed)``.

    The [MASK] token serves as BOS (it is already in the vocabulary and means "nothing revealed yet").
    ``model_fields["max_len"]`` grows by one and ``causal=True`` is forced; extra position tables are dropped because a pi-learner uses
    learned absolute positions of the *permuted* sequence only (App. C.1: no RoPE, no structural ids).
    ``metadata["permutation"]`` (list of L ints), ``["family"]``, ``["perm_seed"]`` and ``["base_task"]`` go
    into the checkpoint. The base task's evaluations are dropped (they expect an MDM).
    """
    length = int(bundle.model_fields["max_len"])
    perm = make_permutation(family, length, perm_seed)
    fields = {k: v for k, v in bundle.model_fields.items() if k != "position_tables"}
    fields.update(max_len=length + 1, causal=True)
    metadata = dict(bundle.metadata, permutation=perm.tolist(), family=family, perm_seed=int(perm_seed),
                    base_task=bundle.name, bos_id=bundle.tokenizer.mask_id)
    source = permuted_source(bundle.source, perm, bundle.tokenizer.mask_id)
    return dataclasses.replace(bundle, name=f"pi-{bundle.name}", source=source, model_fields=fields,
                               metadata=metadata, evaluate=None, evaluation=None)
