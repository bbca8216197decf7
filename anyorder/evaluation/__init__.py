"""Evaluation beyond decoding accuracy: held-out likelihoods (MDM chain rule along an order, MDM ELBO, ARM NLL)
and Sudoku ARM decoding (``evaluation.sudoku_arm``, imported on demand because it needs the Sudoku task)."""
from anyorder.evaluation.likelihood import LikelihoodResult, ar_nll, chain_rule_nll, mdm_elbo

__all__ = ["LikelihoodResult", "ar_nll", "chain_rule_nll", "mdm_elbo"]
