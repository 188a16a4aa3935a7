#!/usr/bin/env python3
"""Static footprint of the board image, per module, from the GNU ld map file.

Flash: what the image puts in code memory (.vectors, .text, .rodata, unwind tables,
constructor tables, and the copy of .data). RAM: .data, .bss and .noinit, plus the
main stack the linker script reserves. Each input section is charged to the archive
(or object) it came from, grouped into the project's modules.

    bench/footprint.py --map build/mps2-an385/pmu-mps2-an385.map [--detail N] [--markdown]
"""
import argparse
import collections
import re
import subprocess
import sys

FLASH_SECTIONS = {".vectors", ".text", ".rodata", ".ARM.extab", ".ARM.exidx", ".init_array"}
RAM_SECTIONS = {".bss", ".noinit"}
BOTH = {".data"}  # initial values in flash, the variables in RAM

MODULES = [  # (pattern on the archive or object path, module)
    (r"libpmu_firmware\.a", "firmware (device, services, log, config)"),
    (r"liblwip\.a", "lwIP 2.1.3"),
    (r"libmbedtls\.a", "mbedTLS 2.28.3"),
    (r"libpmu_port\.a|libpmu_crypto\.a", "port (lwIP glue, SHA-256, DRBG)"),
    (r"libpmu_proto\.a", "proto (wire formats)"),
    (r"libpmu_base\.a", "base"),
    (r"pmu_hal_mps2\.dir|pmu-mps2-an385\.dir", "board (hal/mps2-an385, targets/mps2-an385)"),
    (r"lib(c|g|m)(_nano)?\.a|libnosys|libgcc\.a|libstdc\+\+|libsupc\+\+|crt", "C/C++ runtime (newlib-nano, libgcc)"),
]

INPUT_RE = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")
OUTPUT_RE = re.compile(r"^(\.[\w.]+|COMMON)(?:\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+))?")


def module_of(source):
    for pattern, name in MODULES:
        if re.search(pattern, source):
            return name
    return "other"


def unit_of(source):
    """'firmware/libpmu_firmware.a(device.cc.obj)' -> ('libpmu_firmware.a', 'device.cc')."""
    m = re.search(r"([^/]+\.a)\(([^)]+)\)", source)
    if m:
        archive, member = m.group(1), m.group(2)
    else:
        parts = source.split("/")
        archive = next((p[:-4] for p in parts if p.endswith(".dir")), parts[-1])
        member = parts[-1]
    return archive, re.sub(r"\.(obj|o)$", "", member)


def parse(map_path):
    """Yields (output section, input section, size, source) for every input section."""
    lines = open(map_path, errors="replace").read().splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    except StopIteration:
        sys.exit(f"{map_path}: not a GNU ld map file")
    out_section = None
    pending = None  # an input section name whose address and size are on the next line
    for line in lines[start + 1:]:
        if line.startswith("OUTPUT(") or line.startswith("LOAD "):
            continue
        if line and not line[0].isspace():
            m = OUTPUT_RE.match(line)
            out_section = m.group(1) if m else None
            pending = None
            continue
        if out_section is None:
            continue
        stripped = line.strip()
        if pending is None and re.match(r"^ (\.[\w.$-]+|COMMON)\s*$", line):
            pending = stripped
            continue
        m = re.match(r"^ (\.[\w.$-]+|COMMON|\*fill\*)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)(?:\s+(\S.*))?$", line)
        if m:
            name, size, source = m.group(1), int(m.group(3), 16), m.group(4) or "(padding)"
            if name == "*fill*":
                source = "(padding)"
            yield out_section, name, size, source
            pending = None
            continue
        if pending is not None:
            m = INPUT_RE.match(line)
            if m:
                yield out_section, pending, int(m.group(2), 16), m.group(3)
            pending = None


def stack_size(map_path):
    """The .stack output section's size (it has no input sections to charge)."""
    text = open(map_path, errors="replace").read()
    m = re.search(r"^\.stack\s+0x[0-9a-fA-F]+\s+0x([0-9a-fA-F]+)", text, re.M) or \
        re.search(r"^\.stack\s*\n\s+0x[0-9a-fA-F]+\s+0x([0-9a-fA-F]+)", text, re.M)
    return int(m.group(1), 16) if m else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--map", required=True)
    ap.add_argument("--elf", help="also print arm-none-eabi-size's view of the ELF")
    ap.add_argument("--size", default="arm-none-eabi-size", help="the size program for --elf")
    ap.add_argument("--detail", type=int, default=12, help="largest objects to list (0: none)")
    ap.add_argument("--markdown", action="store_true", help="Markdown tables (for docs/BENCHMARKS.md)")
    ap.add_argument("--flash-budget", type=int, default=256 * 1024)
    ap.add_argument("--ram-budget", type=int, default=128 * 1024)
    args = ap.parse_args()

    lwip_static = collections.Counter()  # lwIP's pools and heap, by name
    flash = collections.Counter()
    ram = collections.Counter()
    unit_flash = collections.Counter()
    unit_ram = collections.Counter()
    for out_section, name, size, source in parse(args.map):
        m = re.match(r"\.bss\.(?:memp_memory_(\w+)_base|(ram_heap))$", name)
        if m:
            lwip_static[m.group(1) or "heap (MEM_SIZE)"] += size
        mod = module_of(source) if source != "(padding)" else "alignment padding"
        unit = unit_of(source) if source != "(padding)" else ("", "(padding)")
        if out_section in FLASH_SECTIONS or out_section in BOTH:
            flash[mod] += size
            unit_flash[unit] += size
        if out_section in RAM_SECTIONS or out_section in BOTH:
            ram[mod] += size
            unit_ram[unit] += size
    stack = stack_size(args.map)
    ram["main stack (linker script)"] += stack

    total_flash, total_ram = sum(flash.values()), sum(ram.values())
    rows = sorted((k for k in set(flash) | set(ram) if flash[k] or ram[k]), key=lambda k: -(flash[k] + ram[k]))
    md = args.markdown
    if args.elf:
        r = subprocess.run([args.size, "-B", args.elf], capture_output=True, text=True)
        if r.returncode == 0:
            print(("    " if md else "") + r.stdout.rstrip().replace("\n", "\n    " if md else "\n"))
            print()
    if md:
        print("| module | flash (bytes) | RAM (bytes) |")
        print("|---|---:|---:|")
    else:
        print(f"{'module':48} {'flash':>9} {'RAM':>9}")
    for k in rows:
        if md:
            print(f"| {k} | {flash[k]:,} | {ram[k]:,} |")
        else:
            print(f"{k:48} {flash[k]:9,} {ram[k]:9,}")
    verdict = lambda used, budget: f"{used / 1024:.1f} KiB of {budget // 1024} KiB ({100 * used / budget:.0f}%)"
    if md:
        print(f"| **total** | **{total_flash:,}** | **{total_ram:,}** |")
        print()
        print(f"Flash: {verdict(total_flash, args.flash_budget)}; RAM: {verdict(total_ram, args.ram_budget)}.")
    else:
        print(f"{'total':48} {total_flash:9,} {total_ram:9,}")
        print(f"flash {verdict(total_flash, args.flash_budget)}, RAM {verdict(total_ram, args.ram_budget)}")
    if lwip_static:
        print()
        if md:
            print("lwIP's pools and heap (static, inside the lwIP row above):")
            print()
            print("| pool | bytes |")
            print("|---|---:|")
        else:
            print("lwIP pools and heap (inside the lwIP row):")
        for k, v in sorted(lwip_static.items(), key=lambda kv: -kv[1]):
            print(f"| {k} | {v:,} |" if md else f"  {k:44} {v:9,}")
    if args.detail:
        print()
        if md:
            print(f"The {args.detail} largest objects:")
            print()
            print("| archive | object | flash | RAM |")
            print("|---|---|---:|---:|")
        else:
            print(f"largest objects:")
        units = sorted(set(unit_flash) | set(unit_ram), key=lambda u: -(unit_flash[u] + unit_ram[u]))
        for u in units[: args.detail]:
            if md:
                print(f"| {u[0]} | {u[1]} | {unit_flash[u]:,} | {unit_ram[u]:,} |")
            else:
                print(f"  {u[0] + ' ' + u[1]:60} {unit_flash[u]:9,} {unit_ram[u]:9,}")
    for what, used, budget in (("flash", total_flash, args.flash_budget), ("RAM", total_ram, args.ram_budget)):
        if used > budget:
            print(f"note: {what} use is over the {budget // 1024} KiB goal", file=sys.stderr)
    return 0  # a report, not a gate


if __name__ == "__main__":
    sys.exit(main())
