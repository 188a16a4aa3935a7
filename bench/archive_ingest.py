#!/usr/bin/env python3
"""archive_ingest.py BUILD_DIR PMUS RATE SECONDS RUNS LIVE_SECONDS

Part 1, capacity: the archive writer (bench/archive_ingest: PMUS x RATE x SECONDS
reports through pdc's archive code as fast as it takes them) against the database's own
bulk load of the same rows from a file (SQLite: the sqlite3 shell's .import of a CSV;
PostgreSQL: COPY FROM a file), each into a fresh database with the same schema,
interleaved A B A B ... RUNS times, medians. PostgreSQL is a private cluster in a
temporary directory run as nobody (tests/system/archivedb.py), with its default
(durable) settings; SQLite runs with pdc's settings (WAL, synchronous=NORMAL) in both.
Prints one line per run and a summary per backend.

Part 2, live: bench/c37_fleet serves PMUS PMUs at RATE frames/s over this namespace's
loopback and `pdc c37 concentrate --format none --archive URL` archives them for
LIVE_SECONDS, once per backend: the rows per second it kept, whether any was dropped,
and how long the writer needed at the end for what was still buffered (a writer that
keeps up needs one batch interval, 0.2 s)."""
import json
import re
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "system"))
from archivedb import PgCluster, SqliteFile  # noqa: E402

build, pmus, rate, seconds, runs, live_seconds = sys.argv[1], *map(int, sys.argv[2:7])
ingest = os.path.join(build, "bench", "archive_ingest")


def writer(url):
    r = subprocess.run([ingest, url, str(pmus), str(rate), str(seconds)], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        sys.exit(f"archive_ingest {url}: {r.stderr}")
    return json.loads(r.stdout)


def schema_only(url):
    r = subprocess.run([ingest, url, "1", str(rate), "0"], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        sys.exit(f"archive_ingest {url} (schema): {r.stderr}")


def timed(args, **kw):
    t0 = time.monotonic()
    r = subprocess.run(args, capture_output=True, text=True, timeout=900, **kw)
    elapsed = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit(f"{args[0]}: {r.stderr}")
    return elapsed


def report(name, a, b, rows):
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{name}: {rows} rows; archive writer median {ma:.0f} rows/s (runs: {', '.join(f'{x:.0f}' for x in a)}); "
          f"bulk load median {mb:.0f} rows/s (runs: {', '.join(f'{x:.0f}' for x in b)}); ratio {ma / mb:.2f}")


def sqlite():
    a, b = [], []
    with SqliteFile() as db:
        csv = os.path.join(db.dir, "rows.csv")
        for run in range(runs):
            out = writer(db.database(f"a{run}"))
            a.append(out["rows_per_second"])
            rows = out["rows"]
            if run == 0:
                with open(csv, "w") as f:
                    subprocess.run(["sqlite3", "-batch", "-csv", db.file, "SELECT * FROM pmu_report"], stdout=f,
                                   check=True, timeout=600)
            url = db.database(f"b{run}")
            schema_only(url)
            elapsed = timed(["sqlite3", "-batch", db.file],
                            input=f"PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\n.mode csv\n.import {csv} pmu_report\n")
            count = int(subprocess.run(["sqlite3", db.file, "SELECT count(*) FROM pmu_report"], capture_output=True,
                                       text=True, check=True).stdout)
            if count != rows:
                sys.exit(f"sqlite3 .import loaded {count} rows, not {rows}")
            b.append(rows / elapsed)
            print(f"sqlite run {run + 1}: writer {a[-1]:.0f} rows/s ({out['seconds']} s), .import {b[-1]:.0f} rows/s "
                  f"({elapsed:.3f} s)", flush=True)
    report("SQLite", a, b, rows)


def postgres():
    a, b = [], []
    with PgCluster() as db:
        copy = os.path.join(db.dir, "rows.copy")
        for run in range(runs):
            db.db = "postgres"
            out = writer(db.database(f"a{run}"))
            a.append(out["rows_per_second"])
            rows = out["rows"]
            if run == 0:
                db.psql(f"COPY pmu_report TO '{copy}'")
            db.db = "postgres"
            url = db.database(f"b{run}")
            schema_only(url)
            elapsed = timed(["psql", "-X", "-q", "-h", db.dir, "-p", str(db.port), "-U", "pmu", "-d", db.db,
                             "-v", "ON_ERROR_STOP=1", "-c", f"COPY pmu_report FROM '{copy}'"])
            count = int(db.psql("SELECT count(*) FROM pmu_report"))
            if count != rows:
                sys.exit(f"COPY FROM loaded {count} rows, not {rows}")
            b.append(rows / elapsed)
            print(f"postgresql run {run + 1}: writer {a[-1]:.0f} rows/s ({out['seconds']} s), COPY FROM "
                  f"{b[-1]:.0f} rows/s ({elapsed:.3f} s)", flush=True)
    report("PostgreSQL", a, b, rows)


TOTALS = re.compile(r"archive \S+: (\d+) rows, .* (\d+) rows dropped .* ([0-9.e-]+) s to write what was buffered")


def live(name, url):
    base = 20000
    gen = subprocess.Popen([os.path.join(build, "bench", "c37_fleet"), "serve", str(pmus), str(rate), str(base),
                            str(live_seconds + 30)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(1)
    targets = [f"127.0.0.1:{base + i}" for i in range(pmus)]
    r = subprocess.run([os.path.join(build, "pdc", "pdc"), "c37", "concentrate", *targets, "--format", "none", "-d",
                        str(live_seconds), "--json", "-t", "10", "--archive", url], capture_output=True, text=True,
                       timeout=live_seconds + 300)
    gen.terminate()
    gen.wait()
    if r.returncode != 0:
        sys.exit(f"concentrate --archive {url}: {r.stderr[-800:]}")
    summary = json.loads(r.stdout.splitlines()[-1])
    m = TOTALS.search(r.stderr)
    rows, dropped, drain = int(m.group(1)), int(m.group(2)), float(m.group(3))
    received = summary["frames"] + summary["late"]
    print(f"{name} live: {pmus} PMUs x {rate}/s for {live_seconds} s: {received} frames received, {rows} rows archived "
          f"({rows / summary['seconds']:.0f} rows/s), {dropped} dropped, {drain:.2f} s to write the rest at the end; "
          f"concentrate's CPU {summary['cpu_seconds']:.1f} s (reader and writer threads)", flush=True)


sqlite()
postgres()
if live_seconds > 0:
    with SqliteFile() as db:
        live("SQLite", db.database("live"))
    with PgCluster() as db:
        live("PostgreSQL", db.database("live"))
