"""``anyorder serve``: the local web app that shows decoding orders live (``experiments.visual.app``).

    anyorder serve                              # the shipped Sudoku MDM on http://127.0.0.1:8000
    anyorder serve --checkpoint runs/my-mdm --port 8765
    anyorder serve --max-concurrent 2 --time-limit 10

Needs the ``serve`` extra (``pip install -e ".[serve]"``: starlette, uvicorn). Listens on 127.0.0.1 unless
``--host`` says otherwise (the app has no authentication: expose it only on networks you trust).
"""
from __future__ import annotations

import argparse
import sys

from anyorder.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    from anyorder.experiments.visual.app import Limits

    d = Limits()
    p = sub.add_parser("serve", help="local web app: watch MDM decoding orders live", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default=None,
                   help="MDM checkpoint (run) directory (default: the shipped Sudoku MDM)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="default: %(default)s")
    p.add_argument("--device", default="cpu", help="cpu | cuda")
    p.add_argument("--max-concurrent", type=int, default=d.max_concurrent,
                   help="decodes running at once; more requests get 503 (default: %(default)s)")
    p.add_argument("--time-limit", type=float, default=d.time_limit_s, help="seconds per decode (default: %(default)s)")
    p.add_argument("--max-steps", type=int, default=d.max_steps, help="steps per strategy (default: %(default)s)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ModuleNotFoundError as e:
        raise ConfigError(f"anyorder serve needs {e.name}: pip install 'anyorder[serve]'") from e
    from anyorder.experiments.visual.app import KEEP_ALIVE_S, Limits, create_app
    from anyorder.experiments.visual.replay import load_displayed

    if args.device == "cpu":
        import torch

        torch.set_num_threads(1)  # one core per decode: concurrent requests and lanes run in parallel threads
    limits = Limits(max_concurrent=args.max_concurrent, time_limit_s=args.time_limit, max_steps=args.max_steps)
    shown = load_displayed(args.checkpoint, args.device)
    app = create_app(shown, limits, args.device)
    print(f"anyorder serve: {shown.task} checkpoint {shown.path} on http://{args.host}:{args.port}/ "
          f"(Ctrl-C stops)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_keep_alive=KEEP_ALIVE_S)
    return 0
