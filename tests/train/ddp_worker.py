"""Run by ``accelerate launch`` in test_fit_toy.py: trains toy-mdm and has every rank write a hash of its weights
at every checkpoint to ``<out>/rank<r>_step<s>.txt`` (so the test can check that DDP ranks stay identical)."""
import hashlib
import sys

import torch

from anyorder.configs import get_config
from anyorder.train import trainer
from anyorder.train.config import apply_overrides


def weights_hash(model: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def main(out_dir: str, *overrides: str) -> None:
    torch.set_num_threads(1)
    original = trainer.save

    def save(run):
        rank, n = run.accelerator.process_index, run.accelerator.num_processes
        with open(f"{out_dir}/rank{rank}_step{run.step}.txt", "w") as f:
            f.write(f"{weights_hash(run.raw)} {n} {run.per_device_batch}\n")
        original(run)

    trainer.save = save
    cfg = apply_overrides(get_config("toy-mdm"), [f"out_dir={out_dir}", *overrides])
    trainer.fit(cfg, progress=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
