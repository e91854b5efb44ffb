"Helpers shared by several test modules (pytest puts tests/ on sys.path)."
import json
import numpy as np


def fd_self_tol(f):
    "Round-off bound on d(f, f) = 0: eigvalsh finds the eigenvalues of S^2 (S = cov f) to ~D eps s_max^2, sqrt divides by 2 s_i."
    s = np.linalg.eigvalsh(np.atleast_2d(np.cov(f, rowvar=False)))
    return len(s) * np.finfo(float).eps * (s.max() ** 2 * (1 / s).sum() + 4 * s.sum())


def logged(path):
    "metrics.jsonl without its wall-clock `time_s`: what a resumed run must reproduce."
    return [{k: v for k, v in json.loads(l).items() if k != 'time_s'} for l in path.read_text().splitlines()]
