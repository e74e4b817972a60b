#!/usr/bin/env python3
"""mipp's ksg estimator against scikit-learn's mutual_info_regression (KSG algorithm 1, 1-D x and y).

Both get the same data with the same k, side by side in one run:
  * estimates: mipp with noise 0 against sklearn's own KSG routine (_compute_mi_cc) on the data
    sklearn's public function would use before adding its noise (scaled by the standard deviation):
    they must agree within 1e-6; and mipp with noise 1e-10 against the public
    mutual_info_regression, which always adds noise 1e-10 (different random draws, so they agree
    only to the noise's effect);
  * time: the public mutual_info_regression call against the estimate time `mipp mi --json`
    reports (the estimator call alone, as for sklearn's function; the CSV parsing and the process
    start-up are shown separately as the process's wall time). Both warm: sklearn is timed after a
    first call in its process, and each mipp process estimates --time-runs times and reports the
    median (its first run, which also pays LibTorch's one-time operator set-up, is shown apart).
    Median over --repeats interleaved rounds, wall time and, steadier on a busy machine, process
    CPU time (sklearn's KDTree uses one thread, so CPU time is compared with mipp at 1 thread).

mipp runs through its CLI (`mipp mi --csv`) rather than a bench binary: it is the path users take,
and the CLI reports the estimator's own time, so process start-up does not distort the ratio.

  scripts/python bench/ksg_vs_sklearn.py --mipp build/mipp --n 10000 --threads 2
(scripts/python runs the interpreter of mipp's Python environment, which has scikit-learn.)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.feature_selection import mutual_info_regression
from sklearn.feature_selection._mutual_info import _compute_mi_cc
from sklearn.preprocessing import scale


def run_mipp(mipp, csv, k, threads, options, time_runs=1):
    cmd = [mipp, "mi", "--csv", csv, "--x", "x", "--y", "y", "--estimator", "ksg", "--k", str(k),
           "--threads", str(threads), "--options", json.dumps(options), "--time-runs", str(time_runs), "--json"]
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - start
    j = json.loads(out)
    return j["value"], j["seconds"], wall, j["cpu_seconds"], j["first_run_seconds"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mipp", default="build/mipp")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--rho", type=float, default=0.6, help="correlation of the Gaussian pair")
    ap.add_argument("--threads", type=int, default=2, help="mipp's threads (sklearn's KDTree uses one)")
    ap.add_argument("--repeats", type=int, default=5, help="interleaved rounds (sklearn call, mipp processes)")
    ap.add_argument("--time-runs", type=int, default=5, help="estimates per mipp process (median reported)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    rng = np.random.default_rng(a.seed)
    x = rng.standard_normal(a.n)
    y = a.rho * x + np.sqrt(1 - a.rho ** 2) * rng.standard_normal(a.n)
    truth = -0.5 * np.log(1 - a.rho ** 2)
    with tempfile.TemporaryDirectory() as tmp:
        csv = os.path.join(tmp, "pair.csv")
        with open(csv, "w") as f:
            f.write("x,y\n")
            for xi, yi in zip(x, y):
                f.write(f"{float(xi)!r},{float(yi)!r}\n")
        x = np.loadtxt(csv, delimiter=",", skiprows=1)[:, 0]  # exactly what mipp reads
        y = np.loadtxt(csv, delimiter=",", skiprows=1)[:, 1]

        # sklearn without its noise: its KSG routine on the data it would scale.
        sk_exact = _compute_mi_cc(scale(x, with_mean=False), scale(y, with_mean=False), a.k)
        mipp_exact, *_ = run_mipp(a.mipp, csv, a.k, a.threads, {"noise": 0})
        sk_public = mutual_info_regression(x.reshape(-1, 1), y, n_neighbors=a.k, random_state=0)[0]
        mipp_noisy, *_ = run_mipp(a.mipp, csv, a.k, a.threads, {"noise": 1e-10})

        sk_times, sk_cpus, mipp_times, mipp_walls, mipp1_times, mipp1_cpus, firsts = [], [], [], [], [], [], []
        for _ in range(a.repeats):  # interleaved, so drifts of the machine hit both
            start, cpu = time.perf_counter(), time.process_time()
            mutual_info_regression(x.reshape(-1, 1), y, n_neighbors=a.k, random_state=0)
            sk_times.append(time.perf_counter() - start)
            sk_cpus.append(time.process_time() - cpu)
            _, t, wall, _, _ = run_mipp(a.mipp, csv, a.k, a.threads, {"noise": 1e-10}, a.time_runs)
            mipp_times.append(t)
            mipp_walls.append(wall)
            _, t1, _, c1, first1 = run_mipp(a.mipp, csv, a.k, 1, {"noise": 1e-10}, a.time_runs)
            mipp1_times.append(t1)
            mipp1_cpus.append(c1)
            firsts.append(first1)

    sk_t, mipp_t, mipp1_t = (statistics.median(v) for v in (sk_times, mipp_times, mipp1_times))
    sk_c, mipp1_c = statistics.median(sk_cpus), statistics.median(mipp1_cpus)
    print(f"n = {a.n}, k = {a.k}, Gaussian pair rho = {a.rho} (analytic MI {truth:.6f} nats), seed {a.seed}")
    print(f"{'':34}{'mipp':>14}{'sklearn':>14}{'difference':>14}")
    print(f"{'estimate, no noise (nats)':34}{mipp_exact:14.9f}{sk_exact:14.9f}{mipp_exact - sk_exact:14.2e}")
    print(f"{'estimate, noise 1e-10 (nats)':34}{mipp_noisy:14.9f}{sk_public:14.9f}{mipp_noisy - sk_public:14.2e}")
    first_t = statistics.median(firsts)
    print(f"time, median of {a.repeats} rounds (s): sklearn mutual_info_regression {sk_t:.4f}; "
          f"mipp estimate (median of {a.time_runs} per process) {mipp_t:.4f} ({a.threads} threads), "
          f"{mipp1_t:.4f} (1 thread); first estimate in a process {first_t:.4f} (1 thread); "
          f"mipp process wall {statistics.median(mipp_walls):.3f}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} CPUs")
    print(f"speed ratio sklearn / mipp, wall: {sk_t / mipp_t:.1f}x ({a.threads} threads), {sk_t / mipp1_t:.1f}x (1 thread); "
          f"first estimate in a process {sk_t / first_t:.1f}x (1 thread)")
    print(f"CPU time, median (s): sklearn {sk_c:.4f}, mipp (1 thread) {mipp1_c:.4f}; ratio {sk_c / mipp1_c:.1f}x")
    if abs(mipp_exact - sk_exact) > 1e-6:
        print("FAIL: noise-free estimates differ by more than 1e-6", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
