"""Import contract: every module in medbrain/ imports only its own layer or lower ones.

The check reads the source (AST), so it sees every import: module level, inside
functions and methods, under ``if TYPE_CHECKING:`` and in ``try`` blocks. A layer is a
top-level module (``medbrain/metrics.py``) or subpackage (``medbrain/tools/``); imports
inside one layer are free. Layers that share a rank (``tools`` and ``train``) must not
import each other.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT_PACKAGE = "medbrain"
ROOT = Path(__file__).resolve().parents[1] / ROOT_PACKAGE

#: Lowest first. Same tuple = same rank (may not import each other).
LAYERS: list[tuple[str, ...]] = [
    # foundation: small modules with no domain dependencies beyond each other
    ("errors",),
    ("io",),
    ("labels", "facts", "prompts"),  # label conventions/regions, typed facts, prompt texts
    ("metrics",),  # Dice, HD95, BraTS scoring (needs labels)
    ("data",),
    ("model",),
    ("tools", "train"),  # algorithms on arrays | training; neither imports the other
    ("report",),  # renderers and figures: documents and montages from facts (errors/io/facts only)
    ("pipeline",),  # application: case workspace, tool registry, tool log, batch runner
    ("agent",),
    ("evals",),
    ("cli",),
]

#: Temporary exceptions, (importing module, imported module). Each one names the file
#: that keeps it and how it goes away; a stale entry fails test_allowlist_is_current.
ALLOWED: dict[tuple[str, str], str] = {
    # none: every import points down the layers
}

RANK: dict[str, int] = {name: rank for rank, names in enumerate(LAYERS) for name in names}


@dataclass(frozen=True)
class Import:
    path: Path  # file that imports
    module: str  # its dotted module name
    target: str  # the imported module, dotted
    line: int
    scope: str  # "module level" or "in function NAME"
    text: str  # the statement as written


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str, root: Path) -> bool:
    rel = Path(*dotted.split(".")[1:]) if "." in dotted else Path()
    base = root / rel
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


class _Collector(ast.NodeVisitor):
    def __init__(self, path: Path, root: Path, source: str):
        self.path, self.root, self.source = path, root, source
        self.module = module_name(path, root)
        is_pkg = path.name == "__init__.py"
        self.package = self.module if is_pkg else self.module.rpartition(".")[0]
        self.scopes: list[str] = []
        self.found: list[Import] = []

    def _add(self, node: ast.AST, target: str) -> None:
        scope = f"in function {'.'.join(self.scopes)}" if self.scopes else "module level"
        text = (ast.get_source_segment(self.source, node) or "").replace("\n", " ")
        self.found.append(Import(self.path, self.module, target, node.lineno, scope, " ".join(text.split())))

    def visit_FunctionDef(self, node):  # noqa: N802 - ast API
        self.scopes.append(node.name)
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):  # noqa: N802
        self.scopes.append(node.name)
        self.generic_visit(node)
        self.scopes.pop()

    def visit_Import(self, node):  # noqa: N802
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node):  # noqa: N802
        if node.level:
            base = self.package.split(".")
            if node.level > 1:
                base = base[: len(base) - (node.level - 1)]
            mod = ".".join([*base, *([node.module] if node.module else [])])
        else:
            mod = node.module or ""
        targets = {mod}
        if mod.split(".")[0] == ROOT_PACKAGE:
            # `from medbrain.report import figures` imports the submodule medbrain.report.figures
            subs = {f"{mod}.{a.name}" for a in node.names if _is_module(f"{mod}.{a.name}", self.root)}
            names_only = any(not _is_module(f"{mod}.{a.name}", self.root) for a in node.names)
            targets = subs | ({mod} if names_only or not subs else set())
        for target in sorted(targets):
            self._add(node, target)



def collect_imports(root: Path) -> list[Import]:
    """Every import of a medbrain module in every .py file under ``root``."""
    out: list[Import] = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        collector = _Collector(path, root, source)
        collector.visit(ast.parse(source, filename=str(path)))
        out.extend(i for i in collector.found if i.target.split(".")[0] == ROOT_PACKAGE)
    return out


def layer_of(dotted: str) -> str | None:
    """'medbrain.tools.gradcam' -> 'tools'; the package root itself -> None."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else None


def layer_names(root: Path) -> set[str]:
    names = {p.stem for p in root.glob("*.py") if p.name != "__init__.py"}
    names |= {p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    return names


def violations(imports: list[Import], root: Path, allowed=ALLOWED) -> list[str]:
    problems = []
    for imp in imports:
        src, dst = layer_of(imp.module), layer_of(imp.target)
        if dst is None:
            continue  # `import medbrain` / `from medbrain import __version__`
        where = f"{imp.path.relative_to(root.parent)}:{imp.line} ({imp.scope}): `{imp.text}`"
        if src is None:
            problems.append(f"{where}: the package root medbrain/__init__.py must not import layer '{dst}'.")
            continue
        if src == dst or (imp.module, imp.target) in allowed:
            continue
        for name in (src, dst):
            if name not in RANK:
                problems.append(f"{where}: layer '{name}' is not in LAYERS in tests/test_import_layers.py; give it a rank.")
        if src not in RANK or dst not in RANK:
            continue
        if RANK[dst] > RANK[src]:
            problems.append(
                f"{where}: {imp.module} (layer '{src}', rank {RANK[src]}) imports {imp.target} "
                f"(layer '{dst}', rank {RANK[dst]}), a higher layer. Move the code down, or pass "
                "what it needs in from the caller.")
        elif RANK[dst] == RANK[src]:
            problems.append(
                f"{where}: {imp.module} (layer '{src}') imports {imp.target} (layer '{dst}'); they share "
                f"rank {RANK[src]} and must not import each other. Move the shared code to a lower layer.")
    return problems


def test_every_layer_has_a_rank():
    missing = sorted(layer_names(ROOT) - set(RANK))
    assert not missing, f"medbrain modules/subpackages without a layer in LAYERS: {missing}"


def test_no_module_imports_a_higher_layer():
    problems = violations(collect_imports(ROOT), ROOT)
    assert not problems, "Import layering violated:\n  " + "\n  ".join(problems)


def test_allowlist_is_current():
    seen = {(i.module, i.target) for i in collect_imports(ROOT)}
    stale = sorted(set(ALLOWED) - seen)
    assert not stale, f"ALLOWED entries that no longer occur; delete them: {stale}"


# --------------------------------------------------------------------------- the checker itself
def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / ROOT_PACKAGE
    for rel, text in {"__init__.py": "", **files}.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.parent != root and not (p.parent / "__init__.py").exists():
            (p.parent / "__init__.py").write_text("")
        p.write_text(text)
    return root


def test_checker_reports_function_level_and_relative_upward_imports(tmp_path):
    root = _tree(tmp_path, {
        "errors.py": "",
        "tools/a.py": "def f():\n    from medbrain.report import figures\n",
        "tools/b.py": "from ..pipeline.workspace import X\n",
        "report/figures.py": "", "pipeline/workspace.py": "",
        "data/ok.py": "from medbrain.errors import E\nimport medbrain\n",
    })
    problems = violations(collect_imports(root), root, allowed={})
    assert len(problems) == 2, problems
    assert "medbrain/tools/a.py:2 (in function f): `from medbrain.report import figures`" in problems[0]
    assert "medbrain.tools.a (layer 'tools', rank 6) imports medbrain.report.figures" in problems[0]
    assert "medbrain/tools/b.py:1 (module level)" in problems[1] and "medbrain.pipeline.workspace" in problems[1]


def test_checker_reports_same_rank_and_unranked_layers(tmp_path):
    root = _tree(tmp_path, {
        "train/t.py": "import medbrain.tools.gradcam\n", "tools/gradcam.py": "",
        "tools/u.py": "from medbrain.newthing import y\n", "newthing.py": "",
    })
    problems = violations(collect_imports(root), root, allowed={})
    assert any("share rank 6" in p and "medbrain/train/t.py:1" in p for p in problems), problems
    assert any("'newthing' is not in LAYERS" in p for p in problems), problems


@pytest.mark.parametrize("allowed", [{("medbrain.tools.a", "medbrain.report.figures"): "why"}])
def test_checker_honours_the_allowlist(tmp_path, allowed):
    root = _tree(tmp_path, {"tools/a.py": "from medbrain.report.figures import m\n", "report/figures.py": ""})
    assert violations(collect_imports(root), root, allowed=allowed) == []
