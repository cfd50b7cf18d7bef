"""The package as installed: one namespace, declared dependencies, no import loops, and an eval
library that knows nothing of runs."""
import ast
import subprocess
import sys
import tomllib
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
# where each installed package's source lives (pyproject's package-dir)
FOLDERS = {"gans": ROOT / "gans", "gans.models": ROOT / "models", "gans.losses": ROOT / "losses",
           "gans.eval": ROOT / "eval"}
# import name -> distribution name, for every third-party import the package makes
DISTRIBUTIONS = {"torch": "torch", "torchvision": "torchvision", "torch_fidelity": "torch-fidelity", "numpy": "numpy",
                 "PIL": "pillow", "tqdm": "tqdm", "click": "click", "matplotlib": "matplotlib", "wandb": "wandb",
                 "submitit": "submitit", "tomli_w": "tomli-w", "scipy": "scipy"}
# The layers, lowest first: a module imports only its own package and packages of lower layers.
LAYERS = [("gans.core",), ("gans.models", "gans.losses", "gans.data"), ("gans.config",), ("gans.eval",),
          ("gans.runs",), ("gans.diagnostics",), ("gans.training", "gans.analysis"), ("gans.study",), ("gans.cli",)]
RUN_SIDE = ("gans.config", "gans.runs", "gans.diagnostics", "gans.training", "gans.analysis", "gans.study", "gans.cli")


def _modules() -> dict[str, Path]:
    found = {}
    for package, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            parts = [p for p in path.relative_to(folder).with_suffix("").parts if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    """Every module imported anywhere in the file (function-level imports too)."""
    out = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {n: {m for m in _imports(n, p) if m in mods and m != n} for n, p in mods.items()}


def test_no_import_loops():
    graph = _graph()
    state: dict[str, int] = {}

    def visit(n: str, trail: list[str]) -> None:
        state[n] = 1
        for m in graph[n]:
            if state.get(m) == 1 and not n.startswith(m + ".") and not m.startswith(n + "."):
                cycle = trail[trail.index(m):] + [m] if m in trail else [n, m]
                raise AssertionError(f"import loop: {' -> '.join(cycle)}")
            if m not in state:
                visit(m, trail + [m])
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n, [n])


def test_eval_library_knows_no_runs():
    graph = _graph()
    for name, deps in graph.items():
        if name.startswith("gans.eval"):
            run_side = sorted(d for d in deps if d.startswith(RUN_SIDE))
            assert not run_side, f"{name} imports {run_side}"


def _package(module: str) -> str | None:
    return next((p for layer in LAYERS for p in layer if module == p or module.startswith(p + ".")), None)


def test_each_package_imports_only_lower_layers():
    rank = {p: i for i, layer in enumerate(LAYERS) for p in layer}
    assert {_package(m) for m in _graph()} - {None} == set(rank), "a package is missing from LAYERS"
    upward = []
    for name, deps in _graph().items():
        own = _package(name)
        if own is None:  # gans/__init__, gans/__main__
            continue
        for dep in deps:
            theirs = _package(dep)
            if theirs not in (None, own) and rank[theirs] >= rank[own]:
                upward.append(f"{name} -> {dep}")
    assert not upward, "imports against the layers: " + ", ".join(sorted(upward))


def test_every_import_is_a_declared_dependency():
    declared = {d.split(">")[0].split("=")[0].split("<")[0].strip().lower()
                for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    stdlib = sys.stdlib_module_names
    for name, path in _modules().items():
        for imported in _imports(name, path):
            top = imported.split(".")[0]
            if top in stdlib or top == "gans" or not top:
                continue
            assert top in DISTRIBUTIONS, f"{name} imports {top}, which the test's table does not know"
            assert DISTRIBUTIONS[top] in declared, f"{name} imports {top}: declare {DISTRIBUTIONS[top]} in pyproject"


def test_one_namespace_after_install(tmp_path):
    """Outside the checkout, the folders are only reachable as gans.*; python -m gans is the CLI."""
    code = ("import importlib.util as u, gans.models, gans.eval, gans.losses; "
            "print([u.find_spec(n) is None for n in ('models', 'losses', 'eval', 'cli')])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == "[True, True, True, True]", proc.stdout + proc.stderr
    proc = subprocess.run([sys.executable, "-m", "gans", "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and "quickstart" in proc.stdout


def test_the_folders_refuse_their_bare_names():
    proc = subprocess.run([sys.executable, "-c", "import models"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode != 0 and "import gans.models, not models" in proc.stderr
