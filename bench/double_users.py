#!/usr/bin/env python3
"""Which functions of a board image call double-precision arithmetic.

  bench/double_users.py IMAGE.elf [--json]

Disassembles IMAGE (arm-none-eabi-objdump) and lists every function outside the
runtime that calls a double-precision routine: libgcc's soft-float double
arithmetic and conversions (__aeabi_d*, __aeabi_[il]2d, __aeabi_f2d, ...) and
newlib's double libm (sin, cos, floor, remainder, ...), with the routines it
calls; then those routines with their sizes (arm-none-eabi-nm) and the total.
docs/BENCHMARKS.md ("Arithmetic without double") has what it showed.

Exit status: 0, 1 when the tools or the image are missing, 2 on bad usage.
"""
import collections
import json
import re
import subprocess
import sys

# Soft-float double routines (libgcc) and double libm functions (newlib); the float
# ones (names ending in f, __aeabi_f*) are not matched.
DOUBLE = re.compile(
    r"^(?:__aeabi_d\w+|__aeabi_u?[il]2d|__aeabi_f2d"
    r"|__(?:add|sub|mul|div|cmp|eq|ne|lt|le|gt|ge|unord)df[23]|__float(?:un)?(?:si|di)df|__fix(?:uns)?df\w+"
    r"|__extendsfdf2|__truncdfsf2|__ieee754_\w+(?<!f)|__kernel_\w+(?<!f)"
    r"|sin|cos|tan|atan|atan2|hypot|remainder|exp|log|pow|sqrt|floor|ceil|fmod|fmin|fmax|fabs"
    r"|lround|llround|round|trunc|rint|nearbyint|frexp|ldexp|scalbn|modf)$")
CALL = re.compile(r"\s(?:bl|b\.w|b|blx)\s+[0-9a-f]+ <([^>+]+)(?:\+0x[0-9a-f]+)?>")
FUNC = re.compile(r"^[0-9a-f]+ <(.+)>:$")


def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    except FileNotFoundError:
        sys.exit(f"double_users: {cmd[0]} not found (scripts/setup.sh installs the ARM toolchain)")
    except subprocess.CalledProcessError as e:
        sys.exit(f"double_users: {' '.join(cmd)} failed: {e.stderr.strip()}")


def main():
    args = [a for a in sys.argv[1:] if a != "--json"]
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stdout if args[:1] in (["-h"], ["--help"]) else sys.stderr)
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    image = args[0]
    sizes = {}
    for line in run("arm-none-eabi-nm", "-S", image).splitlines():
        p = line.split()
        if len(p) == 4:
            sizes[p[3]] = int(p[1], 16)
    calls = collections.defaultdict(set)
    current = None
    for line in run("arm-none-eabi-objdump", "-d", "--no-show-raw-insn", image).splitlines():
        m = FUNC.match(line)
        if m:
            current = m.group(1)
            continue
        m = CALL.search(line)
        if m and current and m.group(1) != current:
            calls[current].add(m.group(1))
    routines = {f for f in set(calls) | {c for cs in calls.values() for c in cs} if DOUBLE.match(f)}
    # Callers outside the runtime: C++ (mangled) or C functions that are not themselves
    # double routines or compiler/library internals.
    users = {f: sorted(cs & routines) for f, cs in calls.items()
             if f not in routines and not f.startswith("__") and cs & routines}
    names = sorted(users)
    demangled = run("arm-none-eabi-c++filt", *names).splitlines() if names else []
    total = sum(sizes.get(f, 0) for f in routines)
    if "--json" in sys.argv:
        json.dump({"users": {d: users[n] for n, d in zip(names, demangled)},
                   "routines": {f: sizes.get(f, 0) for f in sorted(routines)}, "total_bytes": total},
                  sys.stdout, indent=1)
        print()
        return 0
    for name, pretty in zip(names, demangled):
        print(f"{pretty}\n    -> {' '.join(users[name])}")
    print(f"\ndouble routines in the image: {total:,} bytes in {len(routines)}")
    for f in sorted(routines, key=lambda f: (-sizes.get(f, 0), f)):
        print(f"  {sizes.get(f, 0):6,}  {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
