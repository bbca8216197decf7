"""evaluate_task / evaluate_all (anyorder.evaluation.tasks) on a toy evaluation with a known-logit model."""
import torch

from anyorder.decode import Plan
from anyorder.evaluation.tasks import decode_problems, evaluate_all, evaluate_task, model_device
from anyorder.tasks.base import Problems, TaskBundle
from anyorder.tokenizers.symbols import SymbolTable

MASK = 3
TOK = SymbolTable(("a", "b", "c", "[MASK]"), mask_id=MASK)


class ToyEvaluation:
    """Problems: 4-token rows; the first token is given, the rest must be filled. Metric: exact match."""

    plan = {"steps": 3, "score": "top_prob"}
    prefix = "toy"

    def problems(self):
        targets = torch.tensor([[0, 1, 1, 1], [2, 1, 1, 1], [1, 1, 0, 1]])
        return Problems(inputs=targets[:, :1], targets=targets)

    def encode(self, inputs):
        tokens = torch.full((len(inputs), 4), MASK)
        tokens[:, :1] = inputs
        is_fixed = torch.zeros(len(inputs), 4, dtype=torch.bool)
        is_fixed[:, 0] = True
        return tokens, is_fixed

    def decode(self, tokens):
        return tokens

    def metrics(self, problems, answers):
        return {"exact": int((answers == problems.targets).all(1).sum()) / len(answers), "n": len(answers)}


def always_b(tokens):
    """Known logits: token 'b' (1) is the most likely value everywhere, [MASK] never."""
    logits = torch.tensor([0.0, 4.0, 1.0, -9.0])
    return logits.expand(*tokens.shape, 4).clone()


def bundle(evaluate=None, evaluation=ToyEvaluation()):
    return TaskBundle("toy", TOK, source=None, evaluate=evaluate, evaluation=evaluation)


def test_evaluate_task_decodes_with_the_task_plan_and_names_metrics():
    m = evaluate_task(always_b, bundle(), step=0)
    # rows 0 and 1 are "x b b b": filled exactly; row 2 needs an 'a' in position 2
    assert m == {"toy/exact": 2 / 3, "toy/n": 3.0}
    assert evaluate_task(always_b, bundle(evaluation=None), step=0) == {}


def test_decode_problems_fills_every_free_position_and_uses_the_plan():
    ev = ToyEvaluation()
    answers, res = decode_problems(always_b, ev, ev.problems(), Plan(steps=3), MASK)
    assert answers.tolist() == [[0, 1, 1, 1], [2, 1, 1, 1], [1, 1, 1, 1]]
    _, one_step = decode_problems(always_b, ev, ev.problems(), Plan(steps=1), MASK)
    assert res.nfe.tolist() == [3, 3, 3] and one_step.nfe.tolist() == [1, 1, 1]


def test_evaluate_all_merges_the_decode_free_metrics_with_model_and_step():
    calls = []

    def evaluate(model, step):
        calls.append((model, step))
        return {"kl": 0.5}

    out = evaluate_all(always_b, bundle(evaluate=evaluate), step=7)
    assert calls == [(always_b, 7)]
    assert out == {"kl": 0.5, "toy/exact": 2 / 3, "toy/n": 3.0}
    assert evaluate_all(always_b, bundle(), step=7) == {"toy/exact": 2 / 3, "toy/n": 3.0}


def test_model_device_of_modules_and_plain_callables():
    assert model_device(always_b) == torch.device("cpu")
    assert model_device(torch.nn.Linear(2, 2).to("meta")) == torch.device("meta")
    assert model_device(torch.nn.ReLU()) == torch.device("cpu")  # no parameters
