"""The ``anyorder`` command line: a thin dispatcher over one module per command group.

Each module in ``COMMANDS`` defines ``register(subparsers)``, which adds its sub-command(s) and sets
``func`` on the parsed namespace. Modules are imported lazily so ``anyorder --help`` stays fast and a broken
optional module never hides the others.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from anyorder.cli.errors import run_command
from anyorder.errors import AnyorderError

# module name -> (commands it provides, one-line help shown when the module cannot be imported)
COMMANDS: dict[str, str] = {
    "anyorder.cli.train": "train / eval: train a model from a named config or JSON file; evaluate a checkpoint",
    "anyorder.cli.decode": "decode: adaptive-order decoding of masked sequences with a checkpoint",
    "anyorder.cli.data": "data: build datasets (sudoku, ...)",
    "anyorder.cli.sudoku": "solve / demo: solve Sudoku puzzles with the shipped or a given checkpoint",
    "anyorder.cli.reproduce": "reproduce: regenerate a paper table or figure",
    "anyorder.cli.serve": "serve: local web app showing decoding orders live (needs the serve extra)",
    "anyorder.cli.infill": "eval-infill (= eval infill) / make-tiny-hf: HumanEval-Infilling pass@1 (Table 4); tiny HF models",
}
# two-word commands routed to a registered one: argv prefix -> command name
ALIASES: dict[tuple[str, ...], str] = {("eval", "infill"): "eval-infill"}


class CLIError(AnyorderError):
    """An error caused by the user's input; printed without a traceback, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="anyorder",
        description="Masked diffusion models that plan their own decoding order, and AR baselines.",
    )
    parser.add_argument("--version", action="version", version=f"anyorder {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name != module_name:
                raise
            continue
        module.register(sub)
    return parser


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """``parser.parse_args`` that also accepts KEY=VALUE plan items after options (argparse hands out
    positionals in one chunk, so ``decode CKPT --input f steps=5`` would otherwise be rejected)."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        if not hasattr(args, "plan") or any(e.startswith("-") or "=" not in e for e in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.plan = list(args.plan) + extra
    return args


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for prefix, command in ALIASES.items():
        if tuple(argv[:len(prefix)]) == prefix:
            argv = [command, *argv[len(prefix):]]
    parser = build_parser()
    args = parse_args(parser, argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return run_command(args, args.func)  # exit statuses 0 / 1 / 2 / 3: anyorder.cli.errors


def _version() -> str:
    from anyorder import __version__

    return __version__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
