"""``anyorder reproduce NAME``: regenerate one paper table or figure into an output folder.

Each experiment module exposes ``add_arguments(parser)`` and ``run(args) -> Path``; they are listed here
explicitly and imported lazily.
"""
from __future__ import annotations

import argparse
import importlib

from anyorder.cli import CLIError

EXPERIMENTS: dict[str, tuple[str, str]] = {
    "sudoku": ("anyorder.experiments.sudoku.reproduce", "Sudoku Tables 2 and 5, accuracy vs NFE, order analysis"),
    "beyond": ("anyorder.experiments.sudoku.beyond", "beyond the paper: self-correcting / verifier decoders vs NFE"),
    "lo-table1": ("anyorder.experiments.lo.table1", "L&O-NAE-SAT vanilla vs adaptive inference (Table 1)"),
    "lo-imbalance": ("anyorder.experiments.lo.imbalance", "L&O-NAE-SAT error imbalance (Figure 2, bottom right)"),
    "zebra": ("anyorder.experiments.zebra.reproduce", "Zebra puzzles: MDM strategies and ARMs (Table 3)"),
    "bp": ("anyorder.experiments.lo.bp", "belief-propagation phase transition of a planted NAE CSP (Figure 4)"),
    "text-scaling": ("anyorder.experiments.text.scaling", "IsoFLOP scaling of ARM, pi-learners and MDM on text (Fig. 2 left)"),
    "text-order-nll": ("anyorder.experiments.text.order_nll", "chain-rule NLL of a text MDM along orders (Fig. 2 table)"),
    "text-genppl": ("anyorder.experiments.text.genppl", "generative perplexity and entropy vs steps (Figure 3)"),
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("reproduce", help="regenerate a paper table or figure",
                            description="Regenerate a paper table or figure; writes markdown/CSV/PNG.")
    names = parser.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)
    for name, (module_name, help_text) in EXPERIMENTS.items():
        p = names.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--out", default=f"reports/{name}", help="output folder (default: %(default)s)")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name != module_name:
                raise
            p.set_defaults(func=_missing(name))
            continue
        module.add_arguments(p)
        p.set_defaults(func=module.run)


def _missing(name: str):
    def run(args: argparse.Namespace) -> int:
        raise CLIError(f"experiment {name!r} is not available in this installation")

    return run
