#!/usr/bin/env python3
"""Checks that the includes of the tree follow its layers (docs/ARCHITECTURE.md).

  base      nothing but itself
  crypto    base; its backends' headers (mbedTLS, OpenSSL) in crypto/src only
  proto     base, crypto
  hal       base (hal/include: interfaces only)
  hal/<b>   base, hal: a backend's drivers, no firmware, no port, no wire formats
  port      base, crypto, proto, hal's interfaces, lwIP, mbedTLS, the target's sizing
  firmware  base, crypto, proto, hal's interfaces, port, the target's sizing; and no
            lwIP or mbedTLS header, directly or through a port header
  targets   anything below them (they assemble the images)
  pdc       base, crypto, proto (the host tools share the wire formats, nothing else)
  tests, bench: anything

and that no two parts of firmware/ include each other (a part is a .cc file with its
header). Prints every violation with its file and line; exit status 1 if any.

Usage: check-layers.py [REPO]   (default: the repository this script is in)
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
SOURCE_EXT = (".h", ".cc", ".c")

# What each layer may include (layers by name, see layer_of_file).
ALLOWED = {
    "base": {"base"},
    "crypto": {"base", "crypto", "mbedtls", "openssl"},
    "proto": {"base", "crypto", "proto"},
    "hal": {"base", "hal"},
    "hal-backend": {"base", "hal", "hal-backend"},
    "port": {"base", "crypto", "proto", "hal", "port", "lwip", "mbedtls", "target-config"},
    "firmware": {"base", "crypto", "proto", "hal", "port", "firmware", "target-config"},
    "targets": {"base", "crypto", "proto", "hal", "hal-backend", "port", "firmware", "targets", "target-config"},
    "pdc": {"base", "crypto", "proto", "pdc"},
}
THIRD_PARTY = {"lwip", "mbedtls", "openssl"}


def layer_of_file(rel):
    """The layer a repository file belongs to, or None for files not checked."""
    top = rel.split("/", 1)[0]
    if top == "hal":
        return "hal" if rel.startswith("hal/include/") else "hal-backend"
    if top in ("base", "crypto", "proto", "port", "firmware", "targets", "pdc"):
        return top
    return None


def layer_of_include(path, resolved_rel):
    """The layer an include names: by the project's own prefix, by a third party's,
    or by the file it resolves to."""
    if resolved_rel is not None:
        if resolved_rel.startswith("port/lwip/include/"):
            return "lwip"  # lwIP's options and arch headers: lwIP's, though they live in port/
        if resolved_rel.startswith("port/mbedtls/include/"):
            return "mbedtls"
        if re.match(r"targets/[^/]+/include/pmu_target_config\.h$", resolved_rel):
            return "target-config"
        return layer_of_file(resolved_rel)
    if path.startswith(("lwip/", "netif/", "arch/")) or path in ("lwipopts.h",):
        return "lwip"
    if path.startswith(("mbedtls/", "psa/")):
        return "mbedtls"
    if path.startswith("openssl/"):
        return "openssl"
    if path == "pmu_target_config.h":
        return "target-config"
    return None  # a header of a library the layer links (CLI11, gtest...): not ours to judge


class Tree:
    def __init__(self, root):
        self.root = root
        self.files = []
        for top in ("base", "crypto", "proto", "hal", "port", "firmware", "targets", "pdc"):
            for dirpath, _, names in os.walk(os.path.join(root, top)):
                for n in names:
                    if n.endswith(SOURCE_EXT):
                        self.files.append(os.path.relpath(os.path.join(dirpath, n), root))
        self.files.sort()
        self.include_dirs = sorted({os.path.relpath(d, root) for d in self._include_dirs()})
        self._includes = {}

    def _include_dirs(self):
        for dirpath, dirnames, _ in os.walk(self.root):
            rel = os.path.relpath(dirpath, self.root)
            if rel.startswith(("build", ".git", "tests", "bench")):
                dirnames[:] = []
                continue
            if os.path.basename(dirpath) == "include":
                yield dirpath

    def resolve(self, including_rel, path):
        """The repository file an include names, or None (a third party's or a system one)."""
        local = os.path.normpath(os.path.join(os.path.dirname(including_rel), path))
        if os.path.isfile(os.path.join(self.root, local)):
            return local
        for d in self.include_dirs:
            candidate = os.path.normpath(os.path.join(d, path))
            if os.path.isfile(os.path.join(self.root, candidate)):
                # pmu_target_config.h exists once per target: any will do for layering.
                return candidate
        return None

    def includes(self, rel):
        """[(line number, include path, resolved file or None)] of a file."""
        if rel not in self._includes:
            text = open(os.path.join(self.root, rel), encoding="utf-8", errors="replace").read()
            found = []
            for m in INCLUDE.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append((line, m.group(1), self.resolve(rel, m.group(1))))
            self._includes[rel] = found
        return self._includes[rel]

    def third_party_reach(self, rel, seen=None):
        """Third-party headers a file includes, directly or through project headers:
        {layer: the chain of files that leads there}."""
        seen = set() if seen is None else seen
        if rel in seen:
            return {}
        seen.add(rel)
        reach = {}
        for _, path, resolved in self.includes(rel):
            layer = layer_of_include(path, resolved)
            if layer in THIRD_PARTY:
                reach.setdefault(layer, [path])
            elif resolved is not None:
                for lib, chain in self.third_party_reach(resolved, seen).items():
                    reach.setdefault(lib, [resolved] + chain)
        return reach


def part_of(rel):
    """The firmware part a file belongs to: a .cc and its header share one."""
    stem = os.path.splitext(rel)[0]
    stem = stem.replace("firmware/include/pmu/firmware/", "firmware/").replace("firmware/src/", "firmware/")
    return stem


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def check(root):
    tree = Tree(root)
    problems = []
    for rel in tree.files:
        layer = layer_of_file(rel)
        allowed = ALLOWED[layer]
        for line, path, resolved in tree.includes(rel):
            target = layer_of_include(path, resolved)
            if target is None or target in allowed:
                continue
            problems.append(f"{rel}:{line}: {layer} includes \"{path}\" ({target}): upward or sideways")
        if layer == "crypto":
            for line, path, resolved in tree.includes(rel):
                if layer_of_include(path, resolved) in THIRD_PARTY and not rel.startswith("crypto/src/"):
                    problems.append(f"{rel}:{line}: crypto's interface includes \"{path}\": backends stay in src/")
        if layer == "firmware":
            for lib, chain in sorted(tree.third_party_reach(rel).items()):
                problems.append(f"{rel}: firmware reaches {lib} through " + " -> ".join(chain))

    graph = {}
    for rel in tree.files:
        if layer_of_file(rel) != "firmware":
            continue
        graph.setdefault(part_of(rel), set())
        for _, _, resolved in tree.includes(rel):
            if resolved is not None and layer_of_file(resolved) == "firmware" and part_of(resolved) != part_of(rel):
                graph[part_of(rel)].add(part_of(resolved))
    for component in cycles(graph):
        problems.append("firmware parts include each other: " + ", ".join(component))
    return tree, problems


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    tree, problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} layering problem(s) in {len(tree.files)} files (docs/ARCHITECTURE.md, 'Layers')")
        return 1
    print(f"layers: {len(tree.files)} files, every include runs downward")
    return 0


if __name__ == "__main__":
    sys.exit(main())
