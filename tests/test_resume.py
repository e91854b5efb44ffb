"Killed work resumes: a training killed (SIGKILL) inside the artifact cache continues from its last checkpoint on the next call and ends where an uninterrupted one does."
import os, signal, subprocess, sys, textwrap, time
from pathlib import Path
import torch
from cmrnb.core import load_checkpoint

TRAIN = textwrap.dedent("""
    import dataclasses
    from cmrnb.analysis.segment import seg_config, trained_segmenter
    cfg = dataclasses.replace(seg_config('smoke', acdc=False), steps=48, phantom_subjects=2)
    print(trained_segmenter(cfg, progress=False)[2])
""")


def _run(cache:Path, kill_after_checkpoint:bool=False)->subprocess.CompletedProcess|None:
    "Train the smoke segmenter with its artifact cache in `cache`; optionally SIGKILL it once its first checkpoint is written."
    env = {**os.environ, 'CMRNB_CACHE': str(cache), 'CMRNB_THREADS': '1'}
    if not kill_after_checkpoint: return subprocess.run([sys.executable, '-c', TRAIN], env=env, capture_output=True, text=True, timeout=600)
    p = subprocess.Popen([sys.executable, '-c', TRAIN], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t0 = time.time()
    while p.poll() is None and time.time() - t0 < 600 and not list(cache.glob('.segmenter-*.partial/last.pt.sha256')): time.sleep(0.02)
    p.send_signal(signal.SIGKILL); p.wait()
    return None


def test_killed_training_resumes_to_the_same_model(tmp_path):
    full = _run(tmp_path/'full')
    assert full.returncode == 0, full.stderr[-2000:]
    _run(tmp_path/'killed', kill_after_checkpoint=True)
    partial = list((tmp_path/'killed').glob('.segmenter-*.partial'))
    assert len(partial) == 1 and not (partial[0]/'segnet.pt').exists(), "the kill came after training finished: nothing was tested"
    step_at_kill = load_checkpoint(partial[0]/'last.pt')['step']
    assert 0 < step_at_kill < 48
    resumed = _run(tmp_path/'killed')
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a, b = (load_checkpoint(Path(r.stdout.strip().splitlines()[-1]))['model'] for r in (full, resumed))
    # both runs on this machine, one thread: the resumed run repeats the uninterrupted one's arithmetic
    for k in a: torch.testing.assert_close(a[k], b[k], rtol=1e-6, atol=1e-7, msg=k)
    logs = [(p/'metrics.jsonl').read_text().splitlines() for p in (Path(full.stdout.strip()).parent, Path(resumed.stdout.strip()).parent)]
    assert [l.split(',')[0] for l in logs[0]] == [l.split(',')[0] for l in logs[1]]   # same steps logged, none twice
