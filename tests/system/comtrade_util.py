"""COMTRADE (IEEE C37.111) for the system tests, written from the standard alone and
independent of the project's C++ code: a writer for the four data formats (ASCII,
BINARY, BINARY32, FLOAT32; revisions 1999 and 2013) and the small reader the tests
need to check what pdc --comtrade wrote. Also the analytic waveform the round-trip
tests record and compare against."""
import math
import struct
import time

FULL = {"ASCII": 32767, "BINARY": 32767, "BINARY32": 2147483647, "FLOAT32": None}


def stamp(unix_s):
    t = time.gmtime(int(unix_s))
    us = round((unix_s - int(unix_s)) * 1e6)
    return f"{t.tm_mday:02d}/{t.tm_mon:02d}/{t.tm_year:04d},{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{us:06d}"


def write(prefix, fmt, rev, rate, count, channels, start_unix):
    """Writes PREFIX.cfg and PREFIX.dat. channels: (id, units, peak, value(t)) tuples;
    each integer format uses its range for +-1.1 peak."""
    scales = []
    lines = [f"LAB,PYTHON,{rev}", f"{len(channels) + 1},{len(channels)}A,1D"]
    for i, (cid, units, peak, _) in enumerate(channels):
        full = FULL[fmt]
        a = 1.0 if full is None else peak * 1.1 / full
        scales.append(a)
        lo, hi = (-3.4e38, 3.4e38) if full is None else (-full, full)
        lines.append(f"{i + 1},{cid},,,{units},{a:.12g},0,0,{lo:g},{hi:g},1,1,P")
    lines.append("1,TRIGGER,,,0")
    lines += ["60", "1", f"{rate:g},{count}", stamp(start_unix), stamp(start_unix), fmt, "1"]
    if rev == 2013:
        lines += ["0,0", "0,0"]
    with open(prefix + ".cfg", "w", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")
    with open(prefix + ".dat", "wb") as f:
        for n in range(count):
            t = n / rate
            values = [fn(t) for (_, _, _, fn) in channels]
            us = round(t * 1e6)
            if fmt == "ASCII":
                raws = ",".join(str(round(v / a)) for v, a in zip(values, scales))
                f.write(f"{n + 1},{us},{raws},0\r\n".encode())
                continue
            code = {"BINARY": "h", "BINARY32": "i", "FLOAT32": "f"}[fmt]
            raws = [v if fmt == "FLOAT32" else round(v / a) for v, a in zip(values, scales)]
            f.write(struct.pack(f"<II{len(raws)}{code}H", n + 1, us, *raws, 0))


class Analytic:
    """Three phase voltages and currents at f0 + df (Hz), phase B and C lagging."""

    def __init__(self, df=0.7, v=132790.0, i=500.0, angle_deg=10.0, current_deg=-30.0):
        self.df, self.v, self.i, self.angle, self.current = df, v, i, angle_deg, current_deg

    def phase_deg(self, ch):
        base = self.angle - 120.0 * (ch % 3)
        return base + (self.current if ch >= 3 else 0.0)

    def channels(self):
        names = ["VA", "VB", "VC", "IA", "IB", "IC"]
        out = []
        for ch, name in enumerate(names):
            rms = self.v if ch < 3 else self.i
            deg = self.phase_deg(ch)
            out.append((name, "V" if ch < 3 else "A", rms * math.sqrt(2),
                        lambda t, rms=rms, deg=deg: math.sqrt(2) * rms *
                        math.cos(2 * math.pi * (60 + self.df) * t + math.radians(deg))))
        return out

    def truth(self, name, tau):
        """(magnitude, angle in degrees) of a phasor `tau` seconds after the record's start
        (a whole UTC second, so the nominal rotation adds nothing)."""
        names = {"VA": 0, "VB": 1, "VC": 2, "IA": 3, "IB": 4, "IC": 5, "V1": 0, "I1": 3}
        ch = names[name]
        rms = self.v if ch < 3 else self.i
        return rms, math.degrees(2 * math.pi * self.df * tau) + self.phase_deg(ch)


def tve(measured, truth):
    (m, a), (tm, ta) = measured, truth
    re, im = m * math.cos(math.radians(a)), m * math.sin(math.radians(a))
    tre, tim = tm * math.cos(math.radians(ta)), tm * math.sin(math.radians(ta))
    return math.hypot(re - tre, im - tim) / tm


def read_cfg(path):
    """The fields of a .cfg the tests look at: channel ids, rate, count, format, start."""
    with open(path, newline="") as f:
        lines = [l.rstrip("\r\n") for l in f]
    counts = lines[1].split(",")
    na = int(counts[1].rstrip("Aa"))
    nd = int(counts[2].rstrip("Dd"))
    analog = [l.split(",") for l in lines[2:2 + na]]
    at = 2 + na + nd
    rate, count = lines[at + 2].split(",")
    return {"rev": lines[0].split(",")[2], "ids": [a[1] for a in analog], "units": [a[4] for a in analog],
            "a": [float(a[5]) for a in analog], "b": [float(a[6]) for a in analog],
            "primary": [float(a[10]) for a in analog] if len(analog[0]) > 10 else [1.0] * na,
            "secondary": [float(a[11]) for a in analog] if len(analog[0]) > 10 else [1.0] * na,
            "ps": [a[12].upper() for a in analog] if len(analog[0]) > 12 else ["P"] * na,
            "rate": float(rate), "count": int(count), "start": lines[at + 3], "format": lines[at + 5].upper(),
            "digital": nd}


def read_float32(prefix):
    cfg = read_cfg(prefix + ".cfg")
    n = len(cfg["ids"])
    size = 8 + 4 * n + 2 * ((cfg["digital"] + 15) // 16)
    with open(prefix + ".dat", "rb") as f:
        data = f.read()
    records = []
    for k in range(len(data) // size):
        fields = struct.unpack_from(f"<II{n}f", data, k * size)
        records.append((fields[0], fields[1], list(fields[2:])))
    return cfg, records
