"""Next-token loss (anyorder.objectives.ar): contract, arithmetic, and a trained ARM / pi-learner that recovers a
known distribution's log-likelihood."""
import itertools

import pytest
import torch
import torch.nn.functional as F

from anyorder.errors import ConfigError, InputError
from anyorder.evaluation.likelihood import ar_nll
from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.objectives.ar import ARConfig, ar_loss
from anyorder.objectives.permutations import make_permutation, permute_batch, permuted_source
from anyorder.tasks.base import torch_generator

V, L, MASK = 3, 4, 3


def small_model(seed=0, max_len=L + 1, d=32, layers=2):
    torch.manual_seed(seed)
    return Transformer(ModelConfig(vocab_size=V + 1, max_len=max_len, n_layers=layers, d_model=d, n_heads=4,
                                   causal=True))


def random_batch(seed=0, b=5, length=L + 1):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, V, (b, length), generator=g)
    loss_mask = torch.rand(b, length, generator=g) < 0.6
    loss_mask[:, 0] = False
    return {"tokens": tokens, "loss_mask": loss_mask}


def test_loss_is_masked_next_token_cross_entropy():
    model, batch = small_model(), random_batch()
    out = ar_loss(model, batch, ARConfig(), torch.Generator())
    logits = model(batch["tokens"])
    ce = F.cross_entropy(logits[:, :-1].reshape(-1, V + 1), batch["tokens"][:, 1:].reshape(-1), reduction="none")
    mask = batch["loss_mask"][:, 1:].reshape(-1)
    assert out.loss.item() == pytest.approx(ce[mask].mean().item(), rel=1e-5)
    assert out.n_tokens == int(mask.sum()) and out.metrics["ce"] == pytest.approx(out.loss.item(), rel=1e-5)
    seq = ar_loss(model, batch, ARConfig(normalize="sequence")).loss
    per_row = (ce.view(5, L) * mask.view(5, L)).sum(1) / mask.view(5, L).sum(1).clamp(min=1)
    assert seq.item() == pytest.approx(per_row.mean().item(), rel=1e-5)
    out.loss.backward()
    assert model.tok_emb.weight.grad is not None


def test_tokens_outside_the_loss_only_matter_as_context():
    model, batch = small_model(), random_batch(1)
    batch["loss_mask"][:, -1] = False
    changed = {"tokens": batch["tokens"].clone(), "loss_mask": batch["loss_mask"]}
    changed["tokens"][:, -1] = (changed["tokens"][:, -1] + 1) % V  # last token: never context, not in the loss
    before, after = ar_loss(model, batch, ARConfig()).loss, ar_loss(model, changed, ARConfig()).loss
    assert before.item() == pytest.approx(after.item())
    batch["loss_mask"][:, -1] = True  # once the last token is in the loss, changing it must matter
    changed["loss_mask"] = batch["loss_mask"]
    before, after = ar_loss(model, batch, ARConfig()).loss, ar_loss(model, changed, ARConfig()).loss
    assert before.item() != pytest.approx(after.item())


def test_bad_config_and_batch_raise():
    with pytest.raises(ConfigError, match="token"):
        ARConfig(normalize="mean")
    with pytest.raises(InputError):
        ar_loss(small_model(), {"x0": torch.zeros(2, 3, dtype=torch.long)}, ARConfig())


LK = 3  # length of the known distribution's sequences (V^LK = 27 outcomes)


def known_distribution() -> tuple[torch.Tensor, torch.Tensor]:
    seqs = torch.tensor(list(itertools.product(range(V), repeat=LK)), dtype=torch.long)
    g = torch.Generator().manual_seed(0)
    probs = torch.softmax(1.5 * torch.randn(len(seqs), generator=g, dtype=torch.float64), 0)
    return seqs, probs


class KnownSource:
    """MDM-style source drawing x0 from the enumerated distribution (pure function of seed, step, rank)."""

    def __init__(self, seqs, probs):
        self.seqs, self.probs = seqs, probs

    def batch(self, step, rank, batch_size):
        idx = torch.multinomial(self.probs, batch_size, replacement=True, generator=torch_generator(0, step, rank))
        x0 = self.seqs[idx]
        return {"x0": x0, "is_fixed": torch.zeros_like(x0, dtype=torch.bool)}


@pytest.fixture
def one_thread():
    """The shared CPU is oversubscribed; one intra-op thread is ~10x faster for this tiny model."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["identity", "uniform"])
def test_trained_arm_recovers_exact_log_likelihood(family, one_thread):
    """Train an ARM (identity) / pi-learner (non-trivial pi) with ar_loss on samples of a known distribution;
    its sequence log-likelihoods must match the exact ones: KL(p || q) < 0.02 nats and
    |log q(x) - log p(x)| < 0.2 on every x with p(x) > 0.05 (about 10 s each on one CPU thread)."""
    seqs, probs = known_distribution()
    perm = make_permutation(family, LK, seed=1)
    assert family == "identity" or perm.tolist() != list(range(LK))
    source = permuted_source(KnownSource(seqs, probs), perm, bos_id=MASK)
    model, steps = small_model(seed=0, max_len=LK + 1), 300
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.0, betas=(0.9, 0.99))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, 2 * (1 - s / steps)))
    for step in range(steps):
        out = ar_loss(model, source.batch(step, 0, 256), ARConfig(), torch.Generator())
        opt.zero_grad()
        out.loss.backward()
        opt.step()
        sched.step()
    model.eval()
    batch = permute_batch(seqs, torch.zeros_like(seqs, dtype=torch.bool), perm, MASK)
    log_q = -ar_nll(model, batch["tokens"], batch["loss_mask"]).nll
    total = float(log_q.exp().sum())  # < 1 only by the little mass left on the never-seen BOS/[MASK] token
    assert 0.98 < total <= 1.0 + 1e-9, total
    kl = float((probs * (probs.log() - log_q)).sum())
    assert kl < 0.02, kl
    assert float((probs.log() - log_q)[probs > 0.05].abs().max()) < 0.2
