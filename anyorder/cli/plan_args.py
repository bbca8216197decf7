"""One ``Plan`` command line for ``decode``, ``solve``, ``demo`` and ``reproduce``, generated from the dataclass.

Every Plan field is settable as ``KEY=VALUE`` (parsed by ``anyorder.options.parse_overrides``, as ``anyorder
train`` does: unknown keys are rejected with the list of valid ones); ``--help`` lists each field with its
default and the valid registry names. The old flags stay as aliases: ``--strategy``/``--score``, ``--steps``,
``--budget``, ``--k``, ``--threshold``, ``--factor``, ``--value``, ``--temperature``, ``--top-k``, ``--top-p``,
``--noise``, ``--noise-scale``, ``--anneal``, ``--block-length``, ``--mode`` (also ``--decoder``). ``--noise`` means one thing
everywhere: a NOISES name or a named setting of NOISE_PRESETS (e.g. ``gumbel0.5-annealed``).
"""
from __future__ import annotations

import argparse

from anyorder.decode import BUDGETS, DECODERS, NOISES, SCORES, VALUES, Plan
from anyorder.decode.noise import NOISE_PRESETS
from anyorder.models.precision import PRECISION_HELP, PRECISIONS
from anyorder.objectives.schedule import SCHEDULES
from anyorder.options import field_help, parse_overrides, replace_checked

REGISTRIES = {"budget": BUDGETS, "score": SCORES, "value": VALUES, "noise": NOISES, "schedule": SCHEDULES,
              "mode": DECODERS}
# old flag -> (Plan field, argparse keyword arguments); the flag's value is applied like KEY=VALUE
ALIASES: dict[str, tuple[str, dict]] = {
    "--strategy": ("score", {}), "--score": ("score", {}), "--steps": ("steps", {}), "--budget": ("budget", {}),
    "--k": ("k", {}), "--threshold": ("threshold", {}), "--factor": ("factor", {}), "--value": ("value", {}),
    "--temperature": ("temperature", {}), "--top-k": ("top_k", {}), "--top-p": ("top_p", {}),
    "--noise": ("noise", {}), "--noise-scale": ("noise_scale", {}), "--block-length": ("block_length", {}),
    "--mode": ("mode", {}), "--decoder": ("mode", {}), "--anneal": ("noise_anneal", {"action": "store_const", "const": "true"}),
}


def add_plan_arguments(parser: argparse.ArgumentParser, defaults: Plan = Plan()) -> None:
    """Add ``KEY=VALUE`` plan overrides (positional, after the command's own positionals) and the alias flags;
    the epilog lists every Plan field with the command's default."""
    parser.add_argument("plan", nargs="*", default=[], metavar="KEY=VALUE",
                        help="decoding plan fields (see the list below), e.g. score=top_prob steps=20")
    add_precision_argument(parser)
    group = parser.add_argument_group("plan flags (aliases of KEY=VALUE)")
    for flag, (name, kwargs) in ALIASES.items():
        group.add_argument(flag, dest=f"plan_{flag[2:].replace('-', '_')}", default=None, metavar=name.upper(),
                           help=f"= {name}=...", **kwargs)
    parser.set_defaults(plan_defaults=defaults)
    parser.epilog = plan_help(defaults)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def add_precision_argument(parser: argparse.ArgumentParser) -> None:
    """``--precision fp32|bf16|fp16``: the model calls' autocast dtype (``models.precision``); ``run_command``
    runs the whole command inside it."""
    parser.add_argument("--precision", default="fp32", choices=list(PRECISIONS), help=PRECISION_HELP)


def plan_help(defaults: Plan) -> str:
    lines = ["Plan fields (KEY=VALUE):"]
    for name, type_name, _, comment in field_help(Plan):
        valid = f" [{' | '.join(sorted(REGISTRIES[name]))}]" if name in REGISTRIES else ""
        default = getattr(defaults, name)
        lines.append(f"  {name}={default}{valid}  ({type_name}) {comment}".rstrip())
    lines.append(f"  noise presets: {', '.join(sorted(NOISE_PRESETS))} (--noise NAME sets noise, noise_scale, "
                 "noise_anneal)")
    lines += ["Decoders (mode) and the fields they read:"]
    lines += [f"  {name}: {d.summary}; reads {', '.join(sorted(d.reads)) or 'nothing else'}"
              for name, d in DECODERS.items()]
    return "\n".join(lines)


def plan_from_args(args: argparse.Namespace, defaults: Plan | None = None) -> Plan:
    """The command's default Plan with the alias flags and the KEY=VALUE items applied together (KEY=VALUE wins
    over a flag for the same field)."""
    plan = defaults if defaults is not None else getattr(args, "plan_defaults", Plan())
    items = []
    for flag, (name, _) in ALIASES.items():
        value = getattr(args, f"plan_{flag[2:].replace('-', '_')}", None)
        if value is not None:
            items.append(f"{name}={value}")
    items += list(getattr(args, "plan", []) or [])
    values: dict = {}
    for item in items:
        key, _, value = item.partition("=")
        if key.strip() == "noise" and value in NOISE_PRESETS:
            values.update(NOISE_PRESETS[value])
        else:
            values.update(parse_overrides(Plan, [item]))
    return replace_checked(plan, values)


def plan_record(plan: Plan) -> dict:
    """The plan's fields as a JSON-able dict (a callable score by its name), for ``--summary`` files."""
    return {f: getattr(plan, f) for f in plan.field_names()} | {"score": plan.score_name}
