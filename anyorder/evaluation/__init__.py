"""Evaluation beyond decoding accuracy: held-out likelihoods (MDM chain rule along an order, MDM ELBO, ARM NLL)
and decode-based task evaluation (``evaluation.tasks``). Sudoku ARM decoding is ``experiments.sudoku.arm``."""
from anyorder.evaluation.likelihood import LikelihoodResult, ar_nll, chain_rule_nll, mdm_elbo

__all__ = ["LikelihoodResult", "ar_nll", "chain_rule_nll", "mdm_elbo"]
