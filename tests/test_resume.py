"Killed work resumes: a training killed (SIGKILL) inside the artifact cache continues from its last checkpoint on the next call and ends where an uninterrupted one does."
import json, os, signal, subprocess, sys, textwrap, time
from pathlib import Path
import torch
from cmrnb.core import load_checkpoint

TRAIN = textwrap.dedent("""
    import dataclasses
    from cmrnb.analysis.segment import seg_config, trained_segmenter
    cfg = dataclasses.replace(seg_config('smoke', acdc=False), steps=48, phantom_subjects=2)
    print(trained_segmenter(cfg, progress=False)[2])
""")


def _logged_steps(cache:Path)->list:
    "Steps in the metrics.jsonl of the partly built segmenter (one line a step at this size)."
    logs = list(cache.glob('.segmenter-*.partial/metrics.jsonl'))
    return [json.loads(l)['step'] for l in logs[0].read_text().splitlines() if l.endswith('}')] if logs else []


def _run(cache:Path, kill_after_checkpoint:bool=False)->subprocess.CompletedProcess|None:
    "Train the smoke segmenter (CPU, one thread) with its artifact cache in `cache`; optionally SIGKILL it two steps after its first checkpoint (step 12)."
    env = {**os.environ, 'CMRNB_CACHE': str(cache), 'CMRNB_THREADS': '1', 'CMRNB_DEVICE': 'cpu'}
    if not kill_after_checkpoint: return subprocess.run([sys.executable, '-c', TRAIN], env=env, capture_output=True, text=True, timeout=600)
    p = subprocess.Popen([sys.executable, '-c', TRAIN], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()   # training steps wait for nothing but the CPU: a 10 ms poll sees step 14 long before step 48
    while p.poll() is None and time.time() - t0 < 600 and max(_logged_steps(cache), default=0) < 14: time.sleep(0.01)
    p.send_signal(signal.SIGKILL); p.wait()
    return None


def test_killed_training_resumes_to_the_same_model(tmp_path):
    full = _run(tmp_path/'full')
    assert full.returncode == 0, full.stderr[-2000:]
    _run(tmp_path/'killed', kill_after_checkpoint=True)
    partial = list((tmp_path/'killed').glob('.segmenter-*.partial'))
    assert len(partial) == 1 and not (partial[0]/'segnet.pt').exists(), "the kill came after training finished: nothing was tested"
    step_at_kill = load_checkpoint(partial[0]/'last.pt')['step']
    assert step_at_kill == 12                                            # killed after the first checkpoint, before the second
    resumed = _run(tmp_path/'killed')
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    paths = [Path(r.stdout.strip().splitlines()[-1]) for r in (full, resumed)]
    a, b = (load_checkpoint(p)['model'] for p in paths)
    # both runs on this machine, one thread: the resumed run repeats the uninterrupted one's arithmetic
    for k in a: torch.testing.assert_close(a[k], b[k], rtol=1e-6, atol=1e-7, msg=k)
    steps = [[json.loads(l)['step'] for l in (p.parent/'metrics.jsonl').read_text().splitlines()] for p in paths]
    assert steps[0] == steps[1] == list(range(1, 49))                   # every step logged once, none twice
