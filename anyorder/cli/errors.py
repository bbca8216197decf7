"""The command line's one error boundary (exit statuses) and the checks every command gets before its work.

Exit statuses of every ``anyorder`` command:

- 0: success; 1: the command ran but some output is not valid (``solve``: a grid that is not a solution);
- 2: a user mistake (input, paths, sizes, devices, configs, checkpoints): one line naming the problem, no
  traceback, decided before any expensive work where it can be (``check_common``);
- 3: an internal error (a bug): one line, and the full traceback written to a file whose path is printed
  (``$ANYORDER_TRACEBACK_DIR``, else the system temporary directory);
- 130: interrupted (Ctrl-C).

``check_common(args)`` validates the options several commands share, by name, so a new command that uses the
usual names gets the checks for free: ``--device`` (parsed by torch and available), ``--batch-size``, ``--n``,
``--limit``, ``--chunk``, ``--beam`` (>= 1), and ``--output`` (writable file, not an input; see
``anyorder.io.check_output_path``; a command whose ``--output`` is a folder sets ``output_kind="dir"`` with
``set_defaults`` and gets ``anyorder.io.check_new_path`` instead), and ``--summary`` (a JSON file some commands
write beside their output: the same file checks, and not the same file as ``--output``). ``run_command`` also
holds ``anyorder.io.output_lock`` on ``--output`` and ``--summary`` while the command runs, so two concurrent
writers to one file cannot silently lose one's results.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Callable

from anyorder.errors import AnyorderError, InputError
from anyorder.io import check_new_path, check_output_path, output_lock, same_file

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
POSITIVE_INTS = ("batch_size", "n", "limit", "chunk", "beam")  # argparse dests that must be >= 1 when given
INPUT_ATTRS = ("file", "input")  # argparse dests that may name an input file
OUTPUT_ATTRS = ("output", "summary")  # argparse dests naming what the command writes (checked, then locked)


def check_device(device: str | None) -> None:
    """Raise InputError unless torch parses ``device`` and it is available in this build/machine."""
    if device is None or device == "auto":  # "auto": the command picks cuda when available, else cpu
        return
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputError(f"--device {device!r} is not a torch device ({first}); use cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError(f"--device {device}: CUDA is not available (this torch build or machine has no GPU); "
                             "use --device cpu")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InputError(f"--device {device}: only {torch.cuda.device_count()} CUDA device(s) visible")
    elif dev.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise InputError(f"--device {device}: MPS is not available; use --device cpu")
    elif dev.type not in ("cpu", "cuda", "mps"):
        raise InputError(f"--device {device}: unsupported device type {dev.type!r}; use cpu or cuda")


def check_common(args: argparse.Namespace) -> None:
    """The shared pre-flight checks (module docstring); raises InputError naming the option."""
    for name in POSITIVE_INTS:
        value = getattr(args, name, None)
        if isinstance(value, int) and not isinstance(value, bool) and value < 1:
            raise InputError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    check_device(getattr(args, "device", None))
    inputs = [getattr(args, a) for a in INPUT_ATTRS if isinstance(getattr(args, a, None), str)]
    output = getattr(args, "output", None)
    if isinstance(output, str) and output != "-":
        if getattr(args, "output_kind", "file") == "dir":  # a command whose --output is a folder opts in here
            check_new_path(output, "--output")
        else:
            check_output_path(output, inputs)
    summary = getattr(args, "summary", None)
    if isinstance(summary, str):
        if isinstance(output, str) and output != "-" and same_file(summary, output):
            raise InputError(f"--summary {summary} is the same file as --output; choose another file")
        check_output_path(summary, inputs, "--summary")


def _precision(args: argparse.Namespace) -> contextlib.AbstractContextManager:
    """The ``--precision`` autocast of a command that has one (torch is imported only then)."""
    if getattr(args, "precision", None) in (None, "fp32"):
        return contextlib.nullcontext()
    from anyorder.models.precision import inference_precision

    return inference_precision(args.precision, getattr(args, "device", None) or "cpu")


def run_command(args: argparse.Namespace, func: Callable[[argparse.Namespace], int | None]) -> int:
    """Run ``func(args)`` inside the boundary: pre-flight checks, the --output lock, the ``--precision`` autocast
    (``models.precision``), and the exit statuses of the module docstring. Never raises (except SystemExit from
    the command itself)."""
    name = " ".join(str(x) for x in (getattr(args, "command", None), getattr(args, "dataset", None)) if x)
    try:
        check_common(args)
        with contextlib.ExitStack() as locks:
            for attr in OUTPUT_ATTRS:
                target = getattr(args, attr, None)
                if isinstance(target, str) and target != "-":
                    locks.enter_context(output_lock(target))
            locks.enter_context(_precision(args))
            return int(func(args) or 0)
    except AnyorderError as e:
        print(f"anyorder {name}: error: {one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `anyorder ... | head`: the reader went away; not an error of ours
        with contextlib.suppress(OSError):
            sys.stderr.close()
        return EXIT_OK
    except MemoryError:
        print(f"anyorder {name}: error: out of memory (try a smaller --batch-size or model)", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:  # noqa: BLE001 -- the boundary: anything else is our bug
        where = write_traceback(e)
        print(f"anyorder {name}: internal error: {type(e).__name__}: {one_line(e)} (full traceback: {where}; "
              "please report it)", file=sys.stderr)
        return EXIT_INTERNAL


def one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text if len(text) <= 600 else text[:600] + " ..."


def write_traceback(e: BaseException) -> str:
    """Write ``e``'s traceback to a new file; returns its path (or a note when nothing can be written)."""
    folder = Path(os.environ.get("ANYORDER_TRACEBACK_DIR") or tempfile.gettempdir())
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = (f"anyorder {' '.join(sys.argv[1:])}\n" + "".join(traceback.format_exception(e)))
    try:
        fd, path = tempfile.mkstemp(dir=folder, prefix=f"anyorder-traceback-{stamp}-", suffix=".txt")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return path
    except OSError as err:
        return f"<could not write a traceback file in {folder}: {err.strerror or err}>"
