#!/usr/bin/env python
"""Does a Zebra MDM (answer_layout=house) read clues? P(correct house) at answer slots named by a direct clue
'cA=V = n0=H' (every answer slot masked) vs the other slots.

    python scripts/zebra_clue_probe.py CHECKPOINT PUZZLES.jsonl
"""
import sys

import numpy as np
import torch

from anyorder.tasks.zebra import encode as E
from anyorder.tasks.zebra.dataset import load as zload
from anyorder.tasks.zebra.dataset import pack_items
from anyorder.train.checkpoint import load

L = load(sys.argv[1])
items = zload(sys.argv[2], None, 20)[:300]
arr = pack_items(items, 20, 4, 4).arrays
tok, fixed = E.mdm_input(arr, "house")
x0, _ = E.encode_mdm(arr, "house")
with torch.no_grad():
    lp = torch.log_softmax(L.model(torch.from_numpy(tok)).float(), -1).numpy()
K = 4 * 20
direct = np.zeros_like(fixed)
eq = E.CLUE_TYPES.index("=")
for i, (p, _) in enumerate(items):
    for k, c in enumerate(arr["clues"][i]):
        if c[0] != eq:
            continue
        ops = [o for o in c[1:] if o >= 0]
        cs = [o for o in ops if o >= E.S]
        hs = [o for o in ops if o < E.S]
        if len(cs) == 1 and len(hs) == 1:
            a, v = (cs[0] - E.S) // E.S, (cs[0] - E.S) % E.S
            direct[i, K + a * 4 + v] = True
maskable = ~fixed
p_true = np.exp(np.take_along_axis(lp, x0[..., None], -1)[..., 0])
for name, sel in (("direct '=' house clue", maskable & direct), ("other slots", maskable & ~direct)):
    print(f"{name}: {sel.sum()} slots, mean P(true) {p_true[sel].mean():.3f}, argmax acc "
          f"{(lp.argmax(-1)[sel] == x0[sel]).mean():.3f}")
print("chance (1/n) mean:", np.mean([1 / arr['size'][i, 0] for i in np.nonzero(maskable)[0]]))
