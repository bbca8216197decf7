"""Structure check (issue 10): no import cycles and no import from a lower layer to a higher one, at module level
or inside functions (lazy ``"anyorder.x:fn"`` registry strings count too).

Layers, low to high (docs/DESIGN.md): errors, options, io < models < objectives < decode < tasks < train / evaluation / theory /
configs < experiments < cli (with the package facade ``anyorder/__init__`` and ``__main__``). A module may import
its own layer or lower ones. ``python tests/test_structure.py`` prints the counts.
"""
from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {
    "errors": 0, "options": 0, "io": 0, "registry": 0, "models": 1, "tokenizers": 1, "objectives": 2, "decode": 3,
    "tasks": 4,
    "train": 5, "evaluation": 5, "theory": 5, "configs": 5, "experiments": 6, "cli": 7, "__init__": 7,
    "__main__": 7,
}
# layer -> layers it must not import even though they are lower (tasks get their evaluator from above)
FORBIDDEN = {"tasks": ("decode", "train")}
_LAZY = re.compile(r"^(anyorder(?:\.\w+)+)(?::\w+)?$")


@dataclass
class Report:
    modules: set[str] = field(default_factory=set)
    edges: dict[tuple[str, str], bool] = field(default_factory=dict)  # (importer, imported) -> inside a function
    function_level: list[tuple[str, str]] = field(default_factory=list)  # package imports inside functions
    upward: list[str] = field(default_factory=list)
    cycles: list[list[str]] = field(default_factory=list)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)


def layer(module: str, package: str, layers: dict[str, int]) -> int | None:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    return layers.get(key)


def _imports(tree: ast.AST, module: str, is_pkg: bool, package: str):
    """Yield (imported module, inside a function) for every import of ``package`` in ``tree``."""
    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == package:
                        yield alias.name, in_function
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = module.split(".") if is_pkg else module.split(".")[:-1]
                    anchor = anchor[:len(anchor) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                if base.split(".")[0] == package:
                    for alias in child.names:
                        yield f"{base}.{alias.name}", in_function  # resolved against known modules later
                        yield base, in_function
            elif isinstance(child, ast.Constant) and isinstance(child.value, str):
                m = _LAZY.match(child.value)
                if m and m.group(1).split(".")[0] == package:
                    yield m.group(1), True
            yield from visit(child, inner)
    yield from visit(tree, False)


def analyse(root: Path = ROOT, package: str = "anyorder", layers: dict[str, int] = LAYERS) -> Report:
    rep = Report()
    files = sorted((root / package).rglob("*.py"))
    trees = {}
    for path in files:
        name = module_name(path, root)
        rep.modules.add(name)
        trees[name] = (ast.parse(path.read_text(), str(path)), path.name == "__init__.py")
    for name, (tree, is_pkg) in trees.items():
        for target, inside in _imports(tree, name, is_pkg, package):
            if target not in rep.modules or target == name:
                continue
            if name.startswith(target + "."):  # a module importing its own package facade
                continue
            rep.edges[(name, target)] = rep.edges.get((name, target), True) and inside
    seen_fn = set()
    for (src, dst), inside in sorted(rep.edges.items()):
        lo, hi = layer(src, package, layers), layer(dst, package, layers)
        if lo is None or hi is None:
            rep.upward.append(f"{src} -> {dst}: module outside the known layers {sorted(layers)}")
        elif hi > lo:
            rep.upward.append(f"{src} (layer {lo}) imports {dst} (layer {hi})" + (" inside a function" if inside else ""))
        elif _part(dst) in FORBIDDEN.get(_part(src), ()):
            rep.upward.append(f"{src} imports {dst}: {_part(src)} must not import {_part(dst)}")
        if inside and (src, dst) not in seen_fn:
            seen_fn.add((src, dst))
    rep.function_level = sorted(seen_fn)
    rep.cycles = _cycles(rep.modules, rep.edges)
    return rep


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _cycles(modules: set[str], edges: dict) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    graph = {m: sorted(d for (s, d) in edges if s == m) for m in modules}
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for m in sorted(modules):
        if m not in index:
            strong(m)
    return sorted(out)


def test_no_import_cycles():
    assert analyse().cycles == []


def test_no_upward_imports():
    assert analyse().upward == []


def test_check_catches_cycles_and_upward_imports(tmp_path):
    pkg = tmp_path / "anyorder"
    for sub in ("decode", "tasks", "models"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "decode" / "a.py").write_text("def f():\n    from anyorder.decode import b\n")
    (pkg / "decode" / "b.py").write_text("from anyorder.decode.a import f\n")
    (pkg / "models" / "m.py").write_text("def g():\n    import anyorder.tasks.t\n")
    (pkg / "tasks" / "t.py").write_text("REG = {'x': 'anyorder.decode.a:f'}\n")
    rep = analyse(tmp_path)
    assert rep.cycles == [["anyorder.decode.a", "anyorder.decode.b"]]
    assert rep.upward == ["anyorder.models.m (layer 1) imports anyorder.tasks.t (layer 4) inside a function",
                          "anyorder.tasks.t imports anyorder.decode.a: tasks must not import decode"]
    assert ("anyorder.decode.a", "anyorder.decode.b") in rep.function_level


if __name__ == "__main__":
    r = analyse()
    print(f"modules {len(r.modules)}, edges {len(r.edges)}, cycles {len(r.cycles)}, upward {len(r.upward)}, "
          f"function-level package imports {len(r.function_level)}")
    for c in r.cycles:
        print("cycle:", " <-> ".join(c))
    for u in r.upward:
        print("upward:", u)
    if "-v" in sys.argv:
        for s, d in r.function_level:
            print("function-level:", s, "->", d)
