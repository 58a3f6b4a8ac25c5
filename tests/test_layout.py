"""The package's rooms and the order they stand in (docs/ARCHITECTURE.md): an import runs only down the list, never up
it or in a circle, and the offline path never loads the Claude SDK."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import writebot

PACKAGE = Path(writebot.__file__).parent

# lowest first: a room may import its own modules and the rooms above it in this list, nothing below
LAYERS = [
    {"errors", "defaults", "aio", "files", "bundled", "__init__"},
    {"text"},
    {"store"},
    {"claude"},
    {"compare"},
    {"users"},
    {"engines"},
    {"loop"},
    {"report"},
    {"tracking"},
    {"runs"},
    {"notebook"},
    {"testing"},
    {"cli"},
    {"__main__"},
]
LEVEL = {room: level for level, rooms in enumerate(LAYERS) for room in rooms}


def room_of(module: str) -> str:
    """writebot.loop.trainer -> loop; writebot.cli -> cli; writebot -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def is_module(name: str) -> bool:
    return (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").exists()


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every writebot import in the file, at the top or inside a function."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "writebot":  # from writebot import defaults (a module), __version__ (a name)
                found += [(node.lineno, f"writebot.{a.name}" if is_module(a.name) else "writebot")
                          for a in node.names]
            else:
                found.append((node.lineno, target))
    return [(line, name) for line, name in found if name == "writebot" or name.startswith("writebot.")]


def test_every_module_lives_in_a_named_room_and_few_stay_at_the_top():
    rooms = {room_of(".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts))
             for p in PACKAGE.rglob("*.py")}
    assert rooms <= set(LEVEL), f"modules outside the layer list: {sorted(rooms - set(LEVEL))}"
    top = [p.name for p in PACKAGE.glob("*.py")]
    assert len(top) <= 12, top


def test_imports_run_down_the_layers_never_up_or_in_a_circle():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = room_of(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        for line, name in imports(path):
            there = room_of(name)
            same_layer_other_room = LEVEL[there] == LEVEL[here] and there != here and LEVEL[here] != 0
            if LEVEL[there] > LEVEL[here] or same_layer_other_room:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    assert not upward, "imports that run up the layers:\n" + "\n".join(upward)


def test_the_base_modules_do_not_import_each_other_in_a_circle():
    edges = {}
    for room in LAYERS[0] - {"__init__"}:
        path = PACKAGE / f"{room}.py"
        edges[room] = {room_of(name) for _, name in imports(path)} & LAYERS[0]
    seen = set()

    def visit(room, stack):
        assert room not in stack, f"a circle: {' -> '.join([*stack, room])}"
        if room in seen:
            return
        for other in edges.get(room, ()):
            visit(other, [*stack, room])
        seen.add(room)

    for room in edges:
        visit(room, [])


def module_level_imports(path: Path) -> set[str]:
    """The writebot modules a module imports when it is loaded: its top-level imports, those under `if` included
    (`if TYPE_CHECKING:` too: a type-only import is still a circle to read), not those inside functions."""
    names = {name for _, name in imports(path)}
    body, found = list(ast.parse(path.read_text()).body), set()
    while body:
        node = body.pop()
        if isinstance(node, ast.If):
            body += node.body + node.orelse
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= {name for line, name in imports(path) if line == node.lineno}
    return found & names


def test_no_two_modules_import_each_other_in_a_circle():
    modules = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p
               for p in PACKAGE.rglob("*.py")}
    edges = {m: {n for n in module_level_imports(p) if n in modules and n != m} for m, p in modules.items()}
    done: set[str] = set()

    def visit(module, stack):
        assert module not in stack, f"a circle: {' -> '.join([*stack[stack.index(module):], module])}"
        if module in done:
            return
        for other in sorted(edges[module]):
            visit(other, [*stack, module])
        done.add(module)

    for module in sorted(modules):
        visit(module, [])


@pytest.mark.slow
def test_import_writebot_and_the_offline_demo_never_load_the_claude_sdk(tmp_path):
    probe = ("import sys, writebot, writebot.cli; assert 'anthropic' not in sys.modules, 'import'; "
             f"code = writebot.cli.main(['demo', '--out', {str(tmp_path / 'run')!r}]); "
             "print(code, 'anthropic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0 False", done.stdout[-300:]


def test_a_package_face_only_re_exports():
    """A package's __init__.py holds its docstring, imports and __all__; the code lives in modules named for what
    they do (writebot/__init__.py, the package's own face, aside; and claude/prompts, a folder of prompt files whose
    __init__ is their loader: resources.files(__name__) finds them beside it)."""
    holding_code = []
    for path in sorted(PACKAGE.glob("*/**/__init__.py")):
        if path.parent.name == "prompts":
            continue
        for node in ast.parse(path.read_text()).body:
            plain = isinstance(node, (ast.Import, ast.ImportFrom)) or (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)) or (
                isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["__all__"])
            if not plain:
                holding_code.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert holding_code == [], holding_code


def test_writebot_names_the_entry_points_a_notebook_needs_and_loads_them_only_when_asked(tmp_path):
    probe = ("import sys, writebot; before = [m for m in sys.modules if m.startswith('writebot.')]; "
             "objects = [getattr(writebot, name) for name in writebot.__all__]; "
             "print(before == [], 'anthropic' in sys.modules, all(o is not None for o in objects))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.split() == ["True", "False", "True"], done.stderr
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        writebot.nothing  # noqa: B018


def test_the_engine_user_judge_and_llm_are_built_in_one_place():
    """runs.wire checks the options and builds them; the command line, the workbench, the widgets, the trainer and
    notebook 05 call it. Left aside: the registry and runs, which define the builders, and the offline comparisons
    of report/ (the benches' harness: it stands below runs in the layers and builds a rules engine per learner)."""
    builders = ("build_engine(", "build_user(", "build_run_judge(", "build_llm(")
    calls = []
    for path in [*PACKAGE.rglob("*.py"), *(PACKAGE.parent / "notebooks").glob("*.ipynb")]:
        if path.name in ("registry.py", "runs.py") or path.name.endswith("_comparison.py"):
            continue
        calls += [f"{path.name}: {b}" for b in builders if b in path.read_text() and f"def {b}" not in path.read_text()]
    assert calls == []
