"The cmrnb console script as a user meets it: exit codes, one-line errors, failing experiments, run folders."
import json, os, shutil, subprocess, sys
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
    (['run', 'ldm_volumes', '-p', 'n_train', '-3'], 'ldm_volumes: parameter n_train: -3 is negative'),
    (['run', 'segmentation', '-p', 'seed', '-1'], 'segmentation: parameter seed: -1 is negative'),
    (['run', 'ldm_volumes', '-p', 'fov', 'nan'], 'ldm_volumes: parameter fov: nan is not a finite number (command line)'),
    (['run', 'ldm_volumes', '-p', 'fov', 'inf'], 'ldm_volumes: parameter fov: inf is not a finite number'),
    (['run', 'ldm_volumes', '-p', 'lr_ae', '1e999'], 'ldm_volumes: parameter lr_ae: inf is not a finite number'),
    (['run', 'segmentation', '--device', 'gpu'], "unknown device 'gpu': use cpu, cuda or cuda:N"),
    (['run', 'segmentation', '--device', 'cuda:x'], "unknown device 'cuda:x'"),
    (['run', 'gancmri_fvd', '-p', 'device', 'gpu'], "unknown device 'gpu'"),
    (['reproduce', '--only', 'segmentation', '--device', 'gpu'], "unknown device 'gpu'"),
    (['--experiments-dir', '/no/such/folder', 'list'], 'experiments folder /no/such/folder does not exist'),
    (['report', '--experiments-dir', '/no/such/folder'], 'experiments folder /no/such/folder does not exist'),
])
def test_bad_input_one_line_exit_2(args, needle):
    one_line_error(cmrnb(*args), needle)


def test_unwritable_runs_dir(tmp_path):
    blocker = tmp_path/'a_file'; blocker.write_text('in the way')   # a path that cannot become a folder, even for root
    one_line_error(cmrnb('--runs-dir', blocker/'runs', 'run', 'segmentation'), 'cannot write run folders')


def test_negative_allowed_where_the_default_is_negative(tmp_path):
    "c_min defaults to -2.0, so a negative value passes the parameter check (the run then stops at the unwritable runs dir)."
    blocker = tmp_path/'a_file'; blocker.write_text('in the way')
    one_line_error(cmrnb('--runs-dir', blocker/'runs', 'run', 'gancmri_guidance', '-p', 'c_min', '-5'), 'cannot write run folders')


def test_bad_device_from_the_environment():
    r = cmrnb('run', 'segmentation', env={**os.environ, 'CMRNB_DEVICE': 'gpu'})
    one_line_error(r, "unknown device 'gpu' (from $CMRNB_DEVICE)")


def test_unwritable_figures_dir(tmp_path):
    blocker = tmp_path/'a_file'; blocker.write_text('in the way')
    one_line_error(cmrnb('report', '--figures-dir', blocker/'figs', '--runs-dir', tmp_path/'runs'), 'cannot write the report in')


def test_broken_notebook_is_one_line(tmp_path):
    exps = tmp_path/'exps'; exps.mkdir(); (exps/'x.ipynb').write_text('{not json')
    one_line_error(cmrnb('--experiments-dir', exps, 'list'), "x.ipynb: cannot read the notebook's parameters")


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


CLAIMS_TOML = """
[good]
method = "Toy method"
headline = ["value", "ratio"]
[[good.claims]]
claim = "Value is large"
check = "value >= 40"
published = "40"
source = "somebody 2023, Table 1"
[[good.claims]]
claim = "Ratio is near one"
check = "abs(ratio) <= 1.5 and value < 50"
published = "1.0"
source = "somebody 2023, Fig. 2"
[[good.claims]]
claim = "Value at full scale"
check = "value_full >= 40"
published = "41"
source = "somebody 2023"
[good.anchors]
value_full = {value = 41, source = "somebody 2023"}
[bad]
headline = ["anything"]
[[bad.claims]]
claim = "Bad has a result"
check = "anything > 0"
published = "1"
source = "somebody else"
"""


def fake_run(runs, name, profile, results, stamp='20250101-000000'):
    "A finished run folder written by hand, as run_experiment leaves one (no kernel needed)."
    p = runs/f'{stamp}-{name}-{profile}'; (p/'figures').mkdir(parents=True)
    (p/'results.json').write_text(json.dumps(results))
    (p/'parameters.json').write_text(json.dumps({'experiment': name, 'profile': profile, 'overrides': {}}))
    (p/'provenance.json').write_text(json.dumps({'device': 'cpu', 'device_name': 'cpu', 'git_sha': 'abc123', 'wall_s': 1.0, 'ok': True}))
    return p


def test_report_opens_with_the_claims_table(tmp_path):
    exps, runs, figs = toy_experiments(tmp_path/'exps'), tmp_path/'runs', tmp_path/'figs'
    (exps/'experiments.toml').write_text(CLAIMS_TOML)
    fake_run(runs, 'good', 'quick', {'value': 42, 'ratio': 3.0})   # no run of `bad`: its claim is not measured
    r = cmrnb('--runs-dir', runs, '--experiments-dir', exps, 'report', '--profile', 'quick', '--figures-dir', figs)
    assert r.returncode == 0, r.stderr
    report = (figs/'REPORT.md').read_text()
    assert '**1 of 4 published claims hold at the quick profile** (2 not measured)' in report, report
    assert '| Toy method (`good`) | Value is large: `value >= 40` | 40 (somebody 2023, Table 1) | 42 | yes |' in report
    assert '| Toy method (`good`) | Ratio is near one: `abs(ratio) <= 1.5 and value < 50` | 1.0 (somebody 2023, Fig. 2) | ratio = 3, value = 42 | no |' in report
    assert '| Value at full scale: `value_full >= 40` | 41 (somebody 2023) | — | not measured |' in report
    assert '| `bad` | Bad has a result: `anything > 0` | 1 (somebody else) | — | not measured |' in report
    assert report.index('## Published claims') < report.index('## Summary') < report.index('## good ('), report


@pytest.mark.parametrize('change,needle', [
    (('check = "value >= 40"', 'check = "value >= "'), "[[good.claims]] #1 ('Value is large'): bad check 'value >= '"),
    (('check = "value >= 40"', 'check = "valu >= 40"'), "check names valu, not among [good]'s headline or anchors keys"),
    (('check = "value >= 40"', 'check = "value => 40"'), 'bad check'),
    (('published = "40"\n', ''), "[[good.claims]] #1 ('Value is large') lacks published"),
])
def test_bad_claim_names_experiments_toml(tmp_path, change, needle):
    exps = toy_experiments(tmp_path/'exps')
    (exps/'experiments.toml').write_text(CLAIMS_TOML.replace(*change, 1))
    r = cmrnb('--experiments-dir', exps, 'list')
    one_line_error(r, needle)
    assert f"{exps/'experiments.toml'}: " in r.stderr
