"""The layers stay layers: imports point one way, and the emulator loads only when it runs.

``cli → project/apply/drift/render → plan → manifest/platform → rules → market → core``; the
sandbox sits beside the planner and shares only ``rules``, ``market`` and ``core`` with it.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reconciler.sandbox.server import RunningSandbox

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"

BELOW_PLAN = {"manifest", "platform", "rules", "market", "core"}
# layer -> the layers its modules may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "market": {"core"},
    "rules": {"market", "core"},
    "manifest": {"rules", "market", "core"},
    "platform": {"rules", "market", "core"},
    "plan": BELOW_PLAN,
    "render": {"plan"} | BELOW_PLAN,
    "drift": {"plan"} | BELOW_PLAN,
    "apply": {"plan"} | BELOW_PLAN,
    "project": {"plan"} | BELOW_PLAN,
    # watch sits beside project and drift: it reads through project's connection and drift's find
    "watch": {"project", "drift", "plan"} | BELOW_PLAN,
    "sandbox": {"rules", "market", "core"},
    "cli": {"project", "apply", "drift", "render", "watch", "plan", "sandbox"} | BELOW_PLAN,
}
# Edges allowed only inside a function (lazy), so the emulator loads only when it runs.
LAZY_ONLY = {("project", "reconciler.sandbox.embedded")}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, bool, int]]:
    """``(imported module, at module level?, line)`` for every reconciler import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, bool, int]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                for alias in child.names:
                    name = f"{child.module}.{alias.name}"
                    found.append((name if _is_module(name) else child.module, top, child.lineno))
            elif isinstance(child, ast.Import):
                found.extend((alias.name, top, child.lineno) for alias in child.names)
            visit(child, inner)

    visit(tree, True)
    return [(name, top, line) for name, top, line in found if name.startswith("reconciler.")]


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (PACKAGE.parent / relative).with_suffix(".py").is_file() or (
        PACKAGE.parent / relative / "__init__.py"
    ).is_file()


def test_imports_point_one_way() -> None:
    wrong: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        layer = _layer(module)
        if layer not in ALLOWED:
            continue  # reconciler/__init__.py, __main__.py
        for imported, top, line in _imports(path):
            other = _layer(imported)
            if other in ("", layer):
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{line}: {module} imports {imported}"
            if (layer, imported) in LAZY_ONLY:
                if top:
                    wrong.append(f"{where} at module level (import it inside the function that needs it)")
                continue
            if other not in ALLOWED[layer]:
                wrong.append(f"{where} ({layer} may import {', '.join(sorted(ALLOWED[layer])) or 'nothing'})")
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_every_module_belongs_to_a_layer() -> None:
    loose = [
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.glob("*.py")
        if path.stem not in ("__init__", "__main__", *ALLOWED)
    ]
    assert not loose, f"modules outside every layer folder: {loose}"


WEB_SERVER = ("starlette", "uvicorn")


@pytest.mark.parametrize("command", ["plan", "drift", "validate", "status"])
def test_commands_against_an_emulator_never_load_the_web_server(
    sandbox: RunningSandbox, tmp_path: Path, command: str
) -> None:
    shutil.copytree(PACKAGE.parent / "examples" / "portfolio", tmp_path, dirs_exist_ok=True)
    (tmp_path / "reconciler.yaml").write_text(
        f"default: local\ntargets:\n  local: {{kind: emulator, apiUrl: '{sandbox.url}', organisation: org-demo}}\n"
    )
    script = textwrap.dedent(
        """
        import json, sys
        from reconciler.cli import main
        try:
            main(sys.argv[1:])
        except SystemExit as exc:
            code = exc.code
        print(json.dumps({"code": code, "loaded": [m for m in sys.modules if m.split(".")[0] in WEB_SERVER]}))
        """
    ).replace("WEB_SERVER", repr(WEB_SERVER))
    env = {**os.environ, "LAYR_USERNAME": "demo", "LAYR_PASSWORD": "demo-password"}
    done = subprocess.run(
        [sys.executable, "-c", script, command, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stderr
    assert report["loaded"] == []


def test_top_level_help_loads_no_command_machinery() -> None:
    """``reconciler --help`` lists every command without importing watch, its metrics server or
    the emulator: it must stay fast."""
    script = textwrap.dedent(
        """
        import json, sys
        from reconciler.cli import main
        try:
            main(["--help"])
        except SystemExit:
            pass
        heavy = ("reconciler.watch", "prometheus_client", "reconciler.sandbox", "httpx")
        print(json.dumps([m for m in sys.modules if m.startswith(heavy)]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [], done.stderr
