#!/usr/bin/env python3
"""The archive (pdc c37 concentrate/stream --archive) on one backend (argv[1]: sqlite or
postgresql), with a fleet of two PMUs (pmu-netns --count 2) at 30 frames/s:
 A. every accepted and late frame is a row; the rows read back (pdc archive export,
    JSON and CSV) hold exactly the values the concentrator printed for the same time
    stamps, and so does its COMTRADE record, instant for instant; a configuration row per PMU; --from/--to and --pmu select what they say;
    pdc c37 stream --archive keeps its PMU's frames too;
 B. pmu2 stopped for 1.2 s: the missing and late events archived add up to the
    concentrator's own per-PMU counts;
 C. the database goes away (PostgreSQL: the server stopped for 2.5 s; SQLite: another
    process holds the write lock for 7 s, beyond pdc's 5 s busy wait) and comes back:
    no row lost, an archive_outage event;
 D. the same outage with a buffer of 60 rows: the overflow is said on standard error,
    recorded as an archive_dropped event with the count dropped, and every other row is
    there.
PostgreSQL is a private cluster started for the test as nobody (archivedb.py)."""
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

import comtrade_util as ct
from archivedb import PgCluster, SqliteFile
from pmutest import *

RATE = 30
HOSTS = os.environ["PMU_HOSTS"].split()
PIDS = [int(p) for p in os.environ["PMU_SIM_PIDS"].split()]
TOTALS = re.compile(r"archive \S+: (\d+) rows, (\d+) configurations, (\d+) events in (\d+) transactions; "
                    r"(\d+) rows dropped")


def concentrate(url, seconds, extra=(), during=None):
    args = [PDC, "c37", "concentrate", "-4", *HOSTS, "--wait", "300ms", "-d", str(seconds), "--format", "json",
            "--json", "--archive", url, *extra]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    result = {}
    reader = threading.Thread(target=lambda: result.update(zip(("out", "err"), proc.communicate(timeout=seconds + 90))))
    reader.start()
    if during:
        during()
    reader.join()
    check(proc.returncode == 0, f"concentrate exited {proc.returncode}: {result['err'][-800:]}")
    lines = result["out"].splitlines()
    summary, sets = json.loads(lines[-1]), [json.loads(l) for l in lines[:-1]]
    m = TOTALS.search(result["err"])
    check(m, f"no archive totals on standard error: {result['err'][-500:]}")
    rows, configs, events, _, dropped = map(int, m.groups())
    return summary, sets, result["err"], {"rows": rows, "configs": configs, "events": events, "dropped": dropped}


def export(url, *args, fmt="json"):
    r = pdc("archive", "export", url, "--format", fmt, *args)
    check(r.returncode == 0, f"pdc archive export {url} {args}: exit {r.returncode}: {r.stderr.decode()}")
    text = r.stdout.decode()
    return [json.loads(l) for l in text.splitlines()] if fmt == "json" else text.splitlines()


def received(summary):
    return sum(p["frames"] + p["late"] for p in summary["per_pmu"])


def close(a, b, rel):
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= rel * max(1.0, abs(b)))


def scenario_a(db):
    url = db.database("a")
    summary, sets, err, t = concentrate(url, 4)
    check(t["dropped"] == 0 and t["rows"] == received(summary),
          f"{t['rows']} rows archived for {received(summary)} frames received (dropped {t['dropped']})")
    rows = export(url)
    check(len(rows) == t["rows"], f"export gave {len(rows)} rows, the archive said {t['rows']}")
    by_key = {(r["time"], r["idcode"]): r for r in rows}
    compared = 0
    for s in sets:
        for p in s["pmus"]:
            r = by_key.get((s["time"], p["idcode"]))
            check(r is not None, f"no archived row for IDCODE {p['idcode']} at {s['time']}")
            check(r["freq"] == p["freq"] and r["rocof"] == p["rocof"] and r["stat"] == p["stat"],
                  f"{s['time']} IDCODE {p['idcode']}: archived {r['freq']} {r['rocof']} {r['stat']}, "
                  f"printed {p['freq']} {p['rocof']} {p['stat']}")
            for name, (mag, ang) in p["phasors"].items():
                amag, aang = r["phasors"][name]
                check(close(amag, mag, 1e-6) and close(aang, ang, 1e-5), f"phasor {name}: {r['phasors'][name]} vs {[mag, ang]}")
            for name, v in p["analogs"].items():
                check(close(r["analogs"][name], v, 1e-6), f"analog {name}: {r['analogs'][name]} vs {v}")
            check(r["digital"] == p["digital"], f"digital {r['digital']} vs {p['digital']}")
            compared += 1
    check(compared >= 2 * RATE * 3, f"only {compared} rows compared")
    check(db.psql("SELECT count(*) FROM pmu_config") == "2", "not one configuration row per PMU")
    # Each IDCODE under its own station name (the PMUs' first reports need not share a
    # time stamp, so look at every row, not the first two).
    stations = {(r["idcode"], r["station"]) for r in rows}
    check(stations == {(1, "pmu1"), (2, "pmu2")}, f"stations: {sorted(stations)}")
    # CSV: a column per channel name, one line per row.
    csv = export(url, fmt="csv")
    header = csv[0].split(",")
    check(header[:8] == ["time", "time_us", "idcode", "station", "cfgcnt", "stat", "freq_hz", "rocof_hz_s"], header)
    check("V1_mag" in header and "IA_deg" in header and "P" in header and "digital0" in header, header)
    check(len(csv) - 1 == len(rows), f"CSV has {len(csv) - 1} rows")
    # COMTRADE: one record of both PMUs, read back by the tests' own reader: every
    # exported report at its instant, the instants between them missing values.
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "fleet")
        r = pdc("archive", "export", url, "--format", "comtrade", "-o", prefix, "--json")
        check(r.returncode == 0, f"export --format comtrade: {r.stderr.decode()}")
        said = json.loads(r.stdout.decode().splitlines()[-1])
        cfg, records = ct.read_float32(prefix)
        t0 = min(x["time_us"] for x in rows)
        span = round((max(x["time_us"] for x in rows) - t0) * RATE / 1e6) + 1
        check(said["records"] == len(records) == cfg["count"] == span and cfg["rate"] == RATE,
              f"{len(records)} records (cfg {cfg['count']}, said {said['records']}) for {span} instants")
        col = {name: k for k, name in enumerate(cfg["ids"])}
        seen = set()
        for x in rows:
            k = round((x["time_us"] - t0) * RATE / 1e6)
            values = records[k][2]
            st = x["station"]
            check(close(values[col[f"{st} FREQ"]], x["freq"], 1e-6) and close(values[col[f"{st} ROCOF"]], x["rocof"], 1e-5),
                  f"record {k} {st}: FREQ/ROCOF {values[col[f'{st} FREQ']]} vs {x['freq']}")
            for name, (mag, ang) in x["phasors"].items():
                check(close(values[col[f"{st} {name} mag"]], mag, 1e-6) and
                      close(values[col[f"{st} {name} ang"]], ang, 1e-5), f"record {k} {st} {name}")
            for name, v in x["analogs"].items():
                check(close(values[col[f"{st} {name}"]], v, 1e-6), f"record {k} {st} {name}")
            seen.add((k, st))
        for k, (_, _, values) in enumerate(records):
            for st in ("pmu1", "pmu2"):
                if (k, st) not in seen:
                    check(math.isnan(values[col[f"{st} FREQ"]]), f"record {k}: {st} has no report but a value")
        no_prefix = pdc("archive", "export", url, "--format", "comtrade")
        check(no_prefix.returncode == 2 and b"-o PREFIX" in no_prefix.stderr, f"comtrade without -o: {no_prefix.stderr}")
    # Selections.
    times = sorted({r["time_us"] for r in rows})
    lo, hi = times[len(times) // 3], times[2 * len(times) // 3]
    part = export(url, "--from", f"{lo / 1e6:.6f}", "--to", f"{hi / 1e6:.6f}", "--pmu", "2")
    want = [r for r in rows if lo <= r["time_us"] < hi and r["idcode"] == 2]
    check([(r["time_us"], r["idcode"]) for r in part] == [(r["time_us"], r["idcode"]) for r in want],
          f"--from/--to/--pmu gave {len(part)} rows, expected {len(want)}")
    iso_from = rows[0]["time"]
    same = pdc("archive", "export", url, "--from", iso_from, "--to", iso_from.replace("Z", "+00:00"))
    check(same.returncode == 2 and b"--to must be after --from" in same.stderr, f"an empty interval: {same.stderr}")
    first = export(url, "--from", iso_from, "--to", iso_from.replace("Z", "+00:00").replace(".", ".").replace(
        iso_from[20:26], f"{int(iso_from[20:26]) + 1:06d}"))
    check(len(first) == 2 and {r["idcode"] for r in first} == {1, 2}, f"the first microsecond: {first}")
    bad = pdc("archive", "export", url, "--from", "yesterday")
    check(bad.returncode == 2 and b"--from" not in bad.stdout and b"expected" in bad.stderr,
          f"a bad time: exit {bad.returncode}: {bad.stderr}")
    # One PMU through pdc c37 stream.
    surl = db.database("s")
    r = pdc("c37", "stream", "-4", HOSTS[0], "--format", "none", "-n", "45", "--json", "--archive", surl)
    check(r.returncode == 0, f"stream --archive: {r.stderr.decode()}")
    frames = json.loads(r.stdout.decode().splitlines()[-1])["frames"]
    srows = export(surl)
    check(len(srows) == frames and all(x["idcode"] == 1 for x in srows), f"stream: {len(srows)} rows for {frames} frames")
    print(f"A: {len(rows)} rows = frames received; {compared} compared with the printed sets; CSV, COMTRADE, selections, stream ok")


def scenario_b(db):
    url = db.database("b")

    def pause():
        time.sleep(1.5)
        os.kill(PIDS[1], signal.SIGSTOP)
        time.sleep(1.2)
        os.kill(PIDS[1], signal.SIGCONT)

    summary, sets, err, t = concentrate(url, 5, during=pause)
    events = export(url, "--events")
    p2 = next(p for p in summary["per_pmu"] if p["idcode"] == 2)
    missing = sum(e["count"] for e in events if e["kind"] == "missing" and e["idcode"] == 2)
    late = sum(e["count"] for e in events if e["kind"] == "late" and e["idcode"] == 2)
    check(p2["missing"] > RATE // 2, f"pmu2 missed only {p2['missing']} sets while stopped")
    check(missing == p2["missing"], f"archived missing events add up to {missing}, the concentrator counted {p2['missing']}")
    check(late == p2["late"], f"archived late events add up to {late}, the concentrator counted {p2['late']}")
    # pmu1 ran on: its own missing sets (none, unless the machine descheduled it past the
    # wait) are archived under its own identity, and pmu2's stop is not among them.
    p1 = next(p for p in summary["per_pmu"] if p["idcode"] == 1)
    missing1 = sum(e["count"] for e in events if e["kind"] == "missing" and e["idcode"] == 1)
    check(missing1 == p1["missing"], f"pmu1: archived missing events add up to {missing1}, the concentrator counted {p1['missing']}")
    check(p1["missing"] < RATE // 2, f"pmu1 missed {p1['missing']} sets while pmu2 was stopped")
    check(t["rows"] == received(summary), f"{t['rows']} rows for {received(summary)} frames")
    print(f"B: pmu2 stopped: {missing} missing and {late} late in events = the concentrator's counts "
          f"(pmu1: {missing1} missing)")


def outage(lose, restore, seconds):
    def during():
        time.sleep(1.5)
        lose()
        time.sleep(seconds)
        restore()
    return during


def scenario_c(db, lose, restore, seconds):
    url = db.database("c")
    summary, sets, err, t = concentrate(url, int(seconds + 4.5), during=outage(lose, restore, seconds))
    check("reconnecting" in err and "is back after" in err, f"the outage is not reported: {err[-600:]}")
    check(t["dropped"] == 0 and t["rows"] == received(summary), f"{t['rows']} rows for {received(summary)} frames")
    count = int(db.psql("SELECT count(*) FROM pmu_report"))
    check(count == received(summary), f"{count} rows in the database for {received(summary)} frames")
    events = export(url, "--events")
    check(any(e["kind"] == "archive_outage" for e in events), f"no archive_outage event: {events}")
    print(f"C: database away {seconds} s: all {count} rows there, outage recorded")


def scenario_d(db, lose, restore, seconds):
    url = db.database("d")
    summary, sets, err, t = concentrate(url, int(seconds + 4.5), extra=("--archive-buffer", "60"),
                                        during=outage(lose, restore, seconds))
    check("the buffer of 60 rows is full" in err and "rows dropped from" in err, f"overflow not said: {err[-600:]}")
    check(t["dropped"] > 0, "nothing dropped with a 60-row buffer during a 2.5 s outage")
    count = int(db.psql("SELECT count(*) FROM pmu_report"))
    check(count == received(summary) - t["dropped"] and count == t["rows"],
          f"{count} rows in the database; {received(summary)} received, {t['dropped']} dropped")
    dropped = sum(e["count"] for e in export(url, "--events") if e["kind"] == "archive_dropped")
    check(dropped == t["dropped"], f"archive_dropped events count {dropped}, pdc said {t['dropped']}")
    print(f"D: 60-row buffer: {t['dropped']} rows dropped, said and recorded; the other {count} there")


def main():
    backend = sys.argv[1]
    check(len(HOSTS) == 2, f"a fleet of two, got {HOSTS}")
    if backend == "postgresql":
        with PgCluster() as db:
            scenario_a(db)
            scenario_b(db)
            scenario_c(db, db.stop, db.start, 2.5)
            scenario_d(db, db.stop, db.start, 2.5)
    else:
        with SqliteFile() as db:
            holder = {}

            def lock():  # another writer holds the database longer than pdc's 5 s busy wait
                holder["p"] = subprocess.Popen(["sqlite3", db.file], stdin=subprocess.PIPE, text=True)
                holder["p"].stdin.write("BEGIN EXCLUSIVE;\n")
                holder["p"].stdin.flush()

            def unlock():
                holder["p"].stdin.write("COMMIT;\n.quit\n")
                holder["p"].stdin.close()
                holder["p"].wait(timeout=10)

            scenario_a(db)
            scenario_b(db)
            # Longer than pdc's 5 s wait for a busy database, so the write fails.
            scenario_c(db, lock, unlock, 7)
            scenario_d(db, lock, unlock, 7)


run(main)
