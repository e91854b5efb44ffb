"The cmrnb console script as a user meets it: exit codes, one-line errors, failing experiments, run folders."
import json, shutil, subprocess, sys
from pathlib import Path
import nbformat
import pytest

CMRNB = str(Path(sys.executable).parent/'cmrnb')


def cmrnb(*args, **kw):
    return subprocess.run([CMRNB, *map(str, args)], capture_output=True, text=True, timeout=600, **kw)


def one_line_error(r, needle):
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = [l for l in r.stderr.splitlines() if 'Kernel is running over TCP' not in l]
    assert len(lines) == 1 and lines[0].startswith('cmrnb: error:') and needle in lines[0], r.stderr
    assert 'Traceback' not in r.stderr


@pytest.mark.parametrize('args,needle', [
    (['run', 'no_such_experiment'], "unknown experiment 'no_such_experiment'"),
    (['run', 'segmentation', '--profile', 'gigantic'], "invalid choice: 'gigantic'"),
    (['reproduce', '--profile', 'gigantic'], "invalid choice: 'gigantic'"),
    (['reproduce', '--only', 'nope'], 'unknown experiment(s) nope'),
    (['run', 'segmentation', '-p', 'n_phantom_test', 'lots'], "parameter n_phantom_test: 'lots' is not a valid int"),
    (['run', 'segmentation', '-p', 'colour', 'red'], "segmentation has no parameter 'colour'"),
    (['run'], 'the following arguments are required: name'),
])
def test_bad_input_one_line_exit_2(args, needle):
    one_line_error(cmrnb(*args), needle)


def test_unwritable_runs_dir(tmp_path):
    blocker = tmp_path/'a_file'; blocker.write_text('in the way')   # a path that cannot become a folder, even for root
    one_line_error(cmrnb('--runs-dir', blocker/'runs', 'run', 'segmentation'), 'cannot write run folders')


def toy_experiments(d):
    d.mkdir()
    for name, body in {'good': "save_results({'value': n * 2}, out)",
                       'bad': "x = 1\nraise RuntimeError('this cell fails')"}.items():
        nb = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell("n: int = 2  # a number\nout_dir: str = ''  # run folder", metadata={'tags': ['parameters']}),
            nbformat.v4.new_code_cell("from cmrnb.experiments import run_folder, save_results\nout = run_folder(out_dir)"),
            nbformat.v4.new_code_cell(body)])
        nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'python3', 'language': 'python'}
        nbformat.write(nb, d/f'{name}.ipynb')
    (d/'experiments.toml').write_text('[good]\nneeds = ["bad"]\n[good.quick]\nn = 21\n'
                                      '[good.anchors]\nvalue = {value = 40, source = "somebody 2023"}\n')
    return d


def test_reproduce_keeps_going_and_names_the_failing_cell(tmp_path):
    exps, runs, figs = toy_experiments(tmp_path/'exps'), tmp_path/'runs', tmp_path/'figs'
    r = cmrnb('--runs-dir', runs, '--experiments-dir', exps, 'reproduce', '--profile', 'quick', '--figures-dir', figs)
    assert r.returncode == 1
    assert "FAILED bad: cell 2 ('x = 1') raised RuntimeError: this cell fails" in r.stderr, r.stderr
    good = next(runs.glob('*-good-quick'))
    assert json.loads((good/'results.json').read_text()) == {'value': 42}
    prov = json.loads((good/'provenance.json').read_text())
    assert {'git_sha', 'packages', 'device', 'seed', 'wall_s'} <= set(prov) and prov['ok'] is True
    bad = next(runs.glob('*-bad-quick'))
    assert (bad/'notebook.ipynb').exists() and 'this cell fails' in (bad/'error.json').read_text()
    report = (figs/'REPORT.md').read_text()
    assert '| value | 42 | 40 | somebody 2023 |' in report and good.name in report
    # a second run makes a new folder; the first stays
    assert cmrnb('--runs-dir', runs, '--experiments-dir', exps, 'run', 'good').returncode == 0
    assert len(list(runs.glob('*-good-*'))) == 2 and good.exists()


def test_list_shows_parameters():
    r = cmrnb('list')
    assert r.returncode == 0 and 'segmentation' in r.stdout and 'n_phantom_test: int' in r.stdout
