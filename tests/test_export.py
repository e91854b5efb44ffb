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


def test_experiment_notebooks_keep_their_parameters_cell():
    "papermill needs exactly one `parameters`-tagged cell with `out_dir`; nbdev_clean must not strip the tag."
    import nbformat
    from cmrnb.experiments import notebook_parameters
    nbs = sorted((ROOT/'nbs'/'experiments').glob('*.ipynb'))
    assert nbs
    for nb in nbs:
        cells = nbformat.read(nb, as_version=4).cells
        tagged = [c for c in cells if 'parameters' in c.metadata.get('tags', [])]
        assert len(tagged) == 1, f"{nb.name}: {len(tagged)} cells tagged 'parameters'"
        assert notebook_parameters(nb).get('out_dir', (None,))[0] == 'str', f"{nb.name}: no `out_dir: str` parameter"
        assert all(c.get('outputs', []) == [] for c in cells if c.cell_type == 'code'), f"{nb.name}: outputs not stripped"
