"cmrnb/ must be exactly what the notebooks export: notebooks are the source of truth."
import filecmp, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_modules_are_what_the_notebooks_export(tmp_path):
    for f in ('settings.ini', 'pyproject.toml'): shutil.copy(ROOT/f, tmp_path/f)
    shutil.copytree(ROOT/'nbs', tmp_path/'nbs')
    (tmp_path/'cmrnb').mkdir(); shutil.copy(ROOT/'cmrnb'/'__init__.py', tmp_path/'cmrnb'/'__init__.py')
    exporter = Path(sys.executable).parent/'nbdev_export'
    subprocess.run([str(exporter)], cwd=tmp_path, check=True, capture_output=True)
    made = {p.relative_to(tmp_path/'cmrnb') for p in (tmp_path/'cmrnb').rglob('*.py')}
    have = {p.relative_to(ROOT/'cmrnb') for p in (ROOT/'cmrnb').rglob('*.py')}
    assert made == have, f"modules without a notebook: {sorted(map(str, have - made))}; not exported yet: {sorted(map(str, made - have))}"
    differ = [str(p) for p in sorted(made) if not filecmp.cmp(tmp_path/'cmrnb'/p, ROOT/'cmrnb'/p, shallow=False)]
    assert not differ, f"cmrnb/ differs from what nbs/ exports (edit the notebook, run nbdev_export): {differ}"
