"The data flow in imports: `cmrnb.data` (readers, phantom, prep, datasets, export) imports nothing downstream of it."
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent/'cmrnb'


def cmrnb_imports(path:Path)->set:
    "Absolute names of the cmrnb modules a file imports, lazy (in-function) imports included."
    pkg, out = path.relative_to(PKG.parent).with_suffix('').parts[:-1], set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = list(pkg[:len(pkg) - node.level + 1]) if node.level else []
            name = '.'.join(base + ([node.module] if node.module else []))
            out |= {name} if node.module else {f'{name}.{a.name}' for a in node.names}
        elif isinstance(node, ast.Import): out |= {a.name for a in node.names}
    return {n for n in out if n == 'cmrnb' or n.startswith('cmrnb.')}


def test_cmrnb_imports_resolves_relative_imports():
    assert {'cmrnb.data.study', 'cmrnb.core', 'cmrnb.data.io'} <= cmrnb_imports(PKG/'data'/'export.py')
    assert 'cmrnb.data.study' in cmrnb_imports(PKG/'analysis'/'phenotypes.py')


def test_data_imports_only_core_and_data():
    bad = {f.name: sorted(n for n in cmrnb_imports(f) if not n.startswith(('cmrnb.core', 'cmrnb.data')))
           for f in sorted((PKG/'data').glob('*.py'))}
    assert not any(bad.values()), f"cmrnb.data must not import analysis, metrics, models or experiments: {bad}"
