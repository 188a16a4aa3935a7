#!/usr/bin/env python3
"""Static footprint of the board images, per module and per profile, against the goal.

Flash: what an image puts in code memory (.vectors, .text, .rodata, unwind and
constructor tables, and the copy of .data). RAM: .data, .bss and .noinit, plus the main
stack the linker script reserves. The playback pool (.pmu_playback, the lab profile's
resampled record) is RAM outside that count, and is printed on its own.

Every sized symbol of the ELF is charged to a module. The image is link-time optimised,
so code from many files shares an object of the link: a symbol's module is its source
file (the line table, nm -l), else the static library that defines it (the LTO symbol
tables, gcc-nm), else the object the map file says it came from (newlib, libgcc and the
start-up code are linked as ordinary objects), else its C++ namespace. Bytes no symbol
covers (string literals, literal pools, alignment) are a row of their own.

    bench/footprint.py --build complete=build/mps2-an385 [--build lab=build/mps2-an385-lab ...]
                       [--check] [--detail N] [--markdown]
    bench/footprint.py --build lm3s=build/lm3s6965evb --flash-budget 241664 --ram-budget 65536

A build directory holds one board image (pmu-mps2-an385.elf or pmu-lm3s6965evb.elf);
the budgets default to the MPS2 goal.

The first --build is the default profile: --check exits 1 when it is over the goal.
"""
import argparse
import collections
import glob
import os
import re
import subprocess
import sys

IMAGES = ("pmu-mps2-an385", "pmu-lm3s6965evb")  # the board images a build directory may hold
FLASH_SECTIONS = {".vectors", ".text", ".rodata", ".ARM.extab", ".ARM.exidx", ".init_array"}
RAM_SECTIONS = {".bss", ".noinit", ".stack"}
BOTH = {".data"}  # initial values in flash, the variables in RAM
OUTSIDE = {".pmu_playback"}  # RAM the goal's count leaves out (the lab profile's pool)

MODULES = [  # (pattern on a source path, archive or object, module), first match wins
    (r"/firmware/|libpmu_firmware\.a", "firmware (device, services, log, config, measurement)"),
    (r"lwip-2\.1\.3|liblwip\.a|libpmu_lwip_sys\.a|/port/lwip/", "lwIP 2.1.3 (with its pools and heap)"),
    (r"mbedtls-2\.28\.3|libmbedtls\.a|libpmu_mbedtls_platform\.a|/port/mbedtls/", "mbedTLS 2.28.3"),
    (r"/port/|/crypto/|libpmu_port\.a|libpmu_crypto\.a", "port (lwIP and mbedTLS glue, TLS arena, DRBG, SHA)"),
    (r"/proto/|libpmu_proto\.a", "proto (wire formats)"),
    (r"/base/|libpmu_base\.a", "base"),
    (r"/hal/(mps2-an385|lm3s6965|cortex-m)/|/targets/(mps2-an385|lm3s6965evb|cortex-m)/|pmu_hal_\w+\.dir|"
     r"pmu_board_common\.dir|pmu-(mps2-an385|lm3s6965evb)\.dir",
     "board (hal/<board>, hal/cortex-m, targets/: main.cc holds the Device)"),
    (r"newlib|libgcc|/c\+\+/|libstdc\+\+|libsupc\+\+|lib(c|g|m|nosys)(_nano)?\.a|crt[^/]*\.o",
     "C/C++ runtime (newlib-nano, libgcc, soft float)"),
]
NAMESPACES = [  # (demangled name prefix, module) for symbols nothing else places
    ("pmu::firmware::", MODULES[0][1]),
    ("pmu::port::", MODULES[3][1]),
    ("pmu::crypto::", MODULES[3][1]),
    ("pmu::proto::", MODULES[4][1]),
    ("pmu::hal::", MODULES[6][1]),
    ("pmu::targets::", MODULES[6][1]),
    ("pmu::", MODULES[5][1]),
    ("(anonymous namespace)::", MODULES[6][1]),  # file scope of main.cc and board_boot.cc
    ("main::", MODULES[6][1]),
    ("_GLOBAL__sub_I_", MODULES[6][1]),  # main.cc's static constructors
    ("mbedtls_", MODULES[2][1]),
]
# What C++ names some symbols with, before the name of what they belong to.
SPECIAL = re.compile(r"^(vtable|typeinfo|typeinfo name|construction vtable|guard variable|VTT) for ")
STACK = "main stack (linker script)"
# C file-scope statics of the optimised link: no line, no library symbol, no namespace
# (in practice mbedTLS's tables: AES, SHA, GCM, OIDs, curves; and lwIP's ARP table).
UNPLACED = "file-scope C statics (mostly mbedTLS's tables)"
NO_SYMBOL = "no symbol: string literals, literal pools, alignment"
LTO_SUFFIX = re.compile(r"(\.(lto_priv|constprop|isra|part|cold|lto)(\.\d+)?)+$")


def module_of_path(path):
    for pattern, name in MODULES:
        if re.search(pattern, path):
            return name
    return None


def run(*cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=True).stdout


def sections(elf):
    """{name: (address, size)} of the ELF's allocated sections."""
    out = {}
    for line in run("arm-none-eabi-size", "-A", elf).splitlines():
        m = re.match(r"^(\.\S+)\s+(\d+)\s+(\d+)$", line)
        if m:
            out[m.group(1)] = (int(m.group(3)), int(m.group(2)))
    return out


def archive_symbols(build):
    """Mangled name -> archive, for the global symbols of every static library of the build."""
    names = {}
    for archive in sorted(glob.glob(os.path.join(build, "**", "*.a"), recursive=True)):
        try:
            text = run("arm-none-eabi-gcc-nm", "--defined-only", archive)
        except (subprocess.CalledProcessError, FileNotFoundError):
            continue
        base = os.path.basename(archive)
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TtDdBbRrWwVv":
                names.setdefault(parts[2], base)
    return names


def map_objects(map_path):
    """Sorted [(address, size, source)] of the map file's input sections."""
    rows = []
    lines = open(map_path, errors="replace").read().splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    except StopIteration:
        sys.exit(f"{map_path}: not a GNU ld map file")
    pending = False
    for line in lines[start + 1:]:
        m = re.match(r"^ (?:\.[\w.$-]+|COMMON)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$", line)
        if m:
            rows.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
            pending = False
            continue
        if re.match(r"^ (\.[\w.$-]+|COMMON)\s*$", line):
            pending = True
            continue
        if pending:
            m = re.match(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$", line)
            if m:
                rows.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
            pending = False
    rows.sort()
    return rows


def object_at(objects, address):
    lo, hi = 0, len(objects)
    while lo < hi:
        mid = (lo + hi) // 2
        if objects[mid][0] <= address:
            lo = mid + 1
        else:
            hi = mid
    for a, size, source in reversed(objects[max(0, lo - 4):lo]):
        if a <= address < a + max(size, 1):
            return source
    return None


def symbols(elf):
    """[(address, size, mangled, demangled, source path or '')] of the sized symbols, one per address."""
    raw = []
    for line in run("arm-none-eabi-nm", "-S", "-l", "--defined-only", elf).splitlines():
        head, _, where = line.partition("\t")
        parts = head.split()
        if len(parts) != 4 or parts[2] not in "tTrRdDbBwWvV":
            continue
        raw.append((int(parts[0], 16), int(parts[1], 16), parts[3], where.rpartition(":")[0] if where else ""))
    demangled = run("arm-none-eabi-c++filt", stdin="\n".join(LTO_SUFFIX.sub("", r[2]) for r in raw)).splitlines()
    best = {}
    for (address, size, name, where), pretty in zip(raw, demangled):
        if size and (address not in best or size > best[address][1]):
            best[address] = (address, size, name, pretty, where)
    return sorted(best.values())


class Image:
    def __init__(self, name, build):
        self.name = name
        found = [n for n in IMAGES if os.path.exists(os.path.join(build, n + ".elf"))]
        if len(found) != 1:
            sys.exit(f"footprint: {build} holds {len(found)} board images, not one of "
                     f"{', '.join(n + '.elf' for n in IMAGES)} (build that profile's preset first)")
        self.elf = os.path.join(build, found[0] + ".elf")
        self.map = os.path.join(build, found[0] + ".map")
        for path in (self.elf, self.map):
            if not os.path.exists(path):
                sys.exit(f"footprint: no {path} (build that profile's preset first)")
        self.flash = collections.Counter()
        self.ram = collections.Counter()
        self.lwip = collections.Counter()  # lwIP's pools and heap by name
        self.outside = 0
        self.largest = []  # (bytes, region, module, demangled name)
        self.measure(build)

    def measure(self, build):
        secs = sections(self.elf)
        flash_ranges = [secs[s] for s in secs if s in FLASH_SECTIONS | BOTH]
        ram_ranges = [secs[s] for s in secs if s in RAM_SECTIONS | BOTH]
        in_range = lambda a, ranges: any(start <= a < start + size for start, size in ranges)
        total_flash = sum(size for _, size in flash_ranges)
        total_ram = sum(size for _, size in ram_ranges)
        self.outside = sum(secs[s][1] for s in secs if s in OUTSIDE)
        archives = archive_symbols(build)
        objects = map_objects(self.map)
        data_start, data_size = secs.get(".data", (0, 0))
        for address, size, name, pretty, where in symbols(self.elf):
            is_data = data_start <= address < data_start + data_size
            flash = in_range(address, flash_ranges) or is_data
            ram = in_range(address, ram_ranges)
            if not (flash or ram):
                continue
            module = module_of_path(where) if where else None
            if module is None and LTO_SUFFIX.sub("", name) in archives:
                module = module_of_path(archives[LTO_SUFFIX.sub("", name)])
            if module is None:
                source = object_at(objects, address)
                if source and "ltrans" not in source:
                    module = module_of_path(source)
            if module is None:
                owner = SPECIAL.sub("", pretty)
                module = next((m for prefix, m in NAMESPACES if owner.startswith(prefix)), None)
            module = module or UNPLACED
            if flash:
                self.flash[module] += size
            if ram:
                self.ram[module] += size
            m = re.match(r"^(?:memp_memory_(\w+)_base|(ram_heap))$", name)
            if m:
                self.lwip[m.group(1) or "heap (MEM_SIZE)"] += size
            self.largest.append((size, "RAM" if ram else "flash", module, pretty))
        self.ram[STACK] += secs.get(".stack", (0, 0))[1]
        self.flash[NO_SYMBOL] += total_flash - sum(self.flash.values())
        self.ram[NO_SYMBOL] += total_ram - sum(self.ram.values())
        self.largest.sort(reverse=True)

    @property
    def total_flash(self):
        return sum(self.flash.values())

    @property
    def total_ram(self):
        return sum(self.ram.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", action="append", required=True, metavar="PROFILE=DIR",
                    help="a profile's board build directory (repeatable; the first is the default profile)")
    ap.add_argument("--check", action="store_true", help="exit 1 when the first profile is over the goal")
    ap.add_argument("--detail", type=int, default=15, help="largest symbols of the first profile to list (0: none)")
    ap.add_argument("--markdown", action="store_true", help="Markdown tables (for docs/BENCHMARKS.md)")
    ap.add_argument("--flash-budget", type=int, default=256 * 1024,
                    help="bytes of flash --check allows the first profile (default: the goal, 256 KiB)")
    ap.add_argument("--ram-budget", type=int, default=128 * 1024,
                    help="bytes of RAM --check allows the first profile (default: the goal, 128 KiB)")
    args = ap.parse_args()

    images = []
    for spec in args.build:
        name, sep, build = spec.partition("=")
        if not sep:
            ap.error(f"--build {spec}: expected PROFILE=DIR")
        images.append(Image(name, build))
    md = args.markdown
    kib = lambda n: f"{n / 1024:.1f} KiB"
    pct = lambda used, budget: f"{100 * used / budget:.0f}%"

    # Per profile, against the goal.
    if md:
        print(f"| profile | flash | of {args.flash_budget // 1024} KiB | RAM | of {args.ram_budget // 1024} KiB | "
              "outside the count |")
        print("|---|---:|---:|---:|---:|---|")
    else:
        print(f"{'profile':10} {'flash':>9} {'goal':>5} {'RAM':>9} {'goal':>5}  outside the count")
    for im in images:
        outside = f"playback pool {im.outside:,} B" if im.outside else ""
        if md:
            print(f"| {im.name} | {im.total_flash:,} | {pct(im.total_flash, args.flash_budget)} | {im.total_ram:,} | "
                  f"{pct(im.total_ram, args.ram_budget)} | {outside} |")
        else:
            print(f"{im.name:10} {im.total_flash:9,} {pct(im.total_flash, args.flash_budget):>5} {im.total_ram:9,} "
                  f"{pct(im.total_ram, args.ram_budget):>5}  {outside}")

    # Per module and profile.
    print()
    modules = sorted({k for im in images for k in (*im.flash, *im.ram) if im.flash[k] or im.ram[k]},
                     key=lambda k: -(images[0].flash[k] + images[0].ram[k]))
    if md:
        print("| module | " + " | ".join(f"{im.name} flash | {im.name} RAM" for im in images) + " |")
        print("|---|" + "---:|---:|" * len(images))
        for k in modules:
            print(f"| {k} | " + " | ".join(f"{im.flash[k]:,} | {im.ram[k]:,}" for im in images) + " |")
        print("| **total** | " + " | ".join(f"**{im.total_flash:,}** | **{im.total_ram:,}**" for im in images) + " |")
    else:
        print(f"{'module':62}" + "".join(f" {im.name + ' flash':>15} {im.name + ' RAM':>13}" for im in images))
        for k in modules:
            print(f"{k[:62]:62}" + "".join(f" {im.flash[k]:15,} {im.ram[k]:13,}" for im in images))
        print(f"{'total':62}" + "".join(f" {im.total_flash:15,} {im.total_ram:13,}" for im in images))

    first = images[0]
    if first.lwip:
        print()
        print(f"lwIP's pools and heap in {first.name} (inside the lwIP row):")
        if md:
            print()
            print("| pool | bytes |")
            print("|---|---:|")
        for k, v in sorted(first.lwip.items(), key=lambda kv: -kv[1]):
            print(f"| {k} | {v:,} |" if md else f"  {k:44} {v:9,}")
    if args.detail:
        print()
        print(f"The {args.detail} largest symbols of {first.name}:")
        if md:
            print()
            print("| symbol | bytes | in | module |")
            print("|---|---:|---|---|")
        for size, region, module, name in first.largest[: args.detail]:
            short = name if len(name) <= 70 else name[:67] + "..."
            if md:
                print(f"| `{short}` | {size:,} | {region} | {module.split(' (')[0]} |")
            else:
                print(f"  {short:72} {size:9,} {region:5} {module.split(' (')[0]}")

    over = [(what, used, budget) for what, used, budget in
            (("flash", first.total_flash, args.flash_budget), ("RAM", first.total_ram, args.ram_budget))
            if used > budget]
    print()
    if over:
        for what, used, budget in over:
            print(f"{first.name}: {what} {used:,} bytes ({kib(used)}) is over its budget of {budget:,} bytes "
                  f"by {used - budget:,} bytes", file=sys.stderr if args.check else sys.stdout)
    else:
        print(f"{first.name}: within its budget ({first.total_flash:,} of {args.flash_budget:,} bytes of flash, "
              f"{first.total_ram:,} of {args.ram_budget:,} bytes of RAM)")
    return 1 if args.check and over else 0


if __name__ == "__main__":
    sys.exit(main())
