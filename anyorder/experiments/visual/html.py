"""Self-contained HTML views of decoding orders (no external files, scripts or fonts).

- ``text_html``: a text sample, each token shaded by its reveal step (hover: step and score);
- ``replay_html``: grids (or token rows) of one or more ``Replay``s with a step slider: moving it shows the
  cells revealed up to that step, coloured by step (hover: step, score, top-2 candidates).
"""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Sequence

from anyorder.experiments.visual.replay import PALETTE_SIZE, palette, step_bin

_STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
.lanes{display:flex;gap:2em;flex-wrap:wrap}.lane h3{margin:.2em 0;font-size:1em}
.grid{display:grid;border:2px solid #000;width:max-content}
.cell{width:30px;height:30px;display:flex;align-items:center;justify-content:center;font:16px monospace;
border:1px solid #aaa;box-sizing:border-box}.given{background:#d9d9d9;font-weight:bold}
.bt{border-top:2px solid #000}.bl{border-left:2px solid #000}.tok{padding:1px 2px;border-radius:3px;
line-height:1.9;font-family:monospace}.meta{font-size:.85em;color:#555}"""


def _text_colour(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#fff" if 0.299 * r + 0.587 * g + 0.114 * b < 140 else "#000"


def text_html(tokens: Sequence[str], order: Sequence[int], scores: Sequence[float | None] | None = None,
              n_steps: int | None = None, title: str = "decoding order") -> str:
    """A page showing ``tokens`` (one string each) shaded by reveal step (``order``, -1 = prompt / given)."""
    n_steps = n_steps or (max(order) + 1 if len(order) else 1)
    pal = palette()
    spans = []
    for i, (tok, step) in enumerate(zip(tokens, order)):
        text = html.escape(tok).replace("\n", "&#8629;<br>")
        if step < 0:
            spans.append(f'<span class="tok" title="given">{text}</span>')
            continue
        colour = pal[step_bin(step, n_steps)]
        score = "" if scores is None or scores[i] is None else f", score {scores[i]:.3f}"
        spans.append(f'<span class="tok" style="background:{colour};color:{_text_colour(colour)}" '
                     f'title="step {step + 1}{score}">{text}</span>')
    legend = "".join(f'<span style="background:{pal[k]};display:inline-block;width:6px;height:12px"></span>'
                     for k in range(0, PALETTE_SIZE, 2))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h2>{html.escape(title)}</h2>"
            f"<p class='meta'>first revealed {legend} last ({n_steps} steps; unshaded: given)</p>"
            f"<p>{''.join(spans)}</p></body></html>")


_REPLAY_JS = """
const D=JSON.parse(document.getElementById('data').textContent);
const slider=document.getElementById('step'),label=document.getElementById('steplabel');
const maxSteps=Math.max(...D.lanes.map(l=>l.replay.steps.length));slider.max=maxSteps;slider.value=maxSteps;
function bin(s,n){return Math.min(D.palette.length-1,Math.max(0,Math.round(s*(D.palette.length-1)/Math.max(n-1,1))));}
function ink(c){const r=parseInt(c.substr(1,2),16),g=parseInt(c.substr(3,2),16),b=parseInt(c.substr(5,2),16);
return 0.299*r+0.587*g+0.114*b<140?'#fff':'#000';}
function render(){const t=+slider.value;label.textContent=t+' / '+maxSteps;
D.lanes.forEach((lane,k)=>{const R=lane.replay,cells=document.querySelectorAll('#lane'+k+' .cell');
const shown=R.given.map(g=>g),text=R.labels.map((s,i)=>R.given[i]?s:''),at=R.order.map(()=>-1);
R.steps.slice(0,t).forEach(e=>{e.cells.forEach((c,j)=>{text[c]=e.labels[j];at[c]=e.step;});
e.masked.forEach(c=>{text[c]='';at[c]=-1;});});
cells.forEach((el,i)=>{el.textContent=text[i];if(R.given[i])return;
if(at[i]>=0){const col=D.palette[bin(at[i],R.n_steps)];el.style.background=col;el.style.color=ink(col);
const s=R.scores[i]==null?'':' score '+R.scores[i];
const c=R.top2[i]?' top-2 '+R.top2[i].map(x=>x[0]+':'+x[1]).join(' '):'';
el.title='step '+(at[i]+1)+s+c;}else{el.style.background='#fff';el.style.color='#000';el.title='';}
if(D.solver&&D.solver[i]>=0)el.title+=' (solver #'+(D.solver[i]+1)+')';});});}
slider.oninput=render;render();
"""


def replay_html(lanes: Sequence[tuple[str, dict]], layout: dict, title: str = "decoding order",
                solver: Sequence[int] | None = None) -> str:
    """A self-contained page: one grid per lane (name, ``Replay.to_dict()``) and a step slider. ``layout``:
    the display's {"rows", "cols", "box"} (grid tasks) or {} (one row of tokens); ``solver``: a reference
    order per cell shown on hover."""
    rows, cols = layout.get("rows", 1), layout.get("cols", len(lanes[0][1]["labels"]) if lanes else 0)
    box = layout.get("box", [rows, cols])
    parts = []
    for k, (name, rep) in enumerate(lanes):
        cells = []
        for i in range(len(rep["labels"])):
            r, c = divmod(i, cols)
            cls = "cell" + (" given" if rep["given"][i] else "") + (" bt" if r and r % box[0] == 0 else "") \
                + (" bl" if c and c % box[1] == 0 else "")
            cells.append(f'<div class="{cls}"></div>')
        meta = f"NFE {rep['nfe']}, {rep['seconds']:.2f} s, {'valid' if rep['valid'] else 'NOT valid'}"
        parts.append(f'<div class="lane" id="lane{k}"><h3>{html.escape(name)}</h3><div class="grid" '
                     f'style="grid-template-columns:repeat({cols},30px)">{"".join(cells)}</div>'
                     f'<div class="meta">{html.escape(meta)}</div></div>')
    data = json.dumps({"lanes": [{"name": n, "replay": r} for n, r in lanes], "palette": palette(),
                       "solver": None if solver is None else [int(v) for v in solver]}).replace("</", "<\\/")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h2>{html.escape(title)}</h2>"
            f"<p>step <input type='range' id='step' min='0' value='0' style='width:20em'> <span id='steplabel'>"
            f"</span> <span class='meta'>(colour: reveal step, dark = early; grey: given; hover a cell)</span></p>"
            f"<div class='lanes'>{''.join(parts)}</div>"
            f"<script type='application/json' id='data'>{data}</script><script>{_REPLAY_JS}</script></body></html>")


def write_html(text: str, path: str | Path) -> Path:
    """Write a page (UTF-8); the parent folder is created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
