#!/usr/bin/env python3
"""include-graph: the include graph of src/, checked.

Usage: include-graph.py SRCDIR [--dot]

A module is a .c file and its .h (same stem).  A header with no .c of its
own (an interface such as src/source/backend.h, or header-only helpers such
as hash.h) is a contract, not a module: including it makes no module edge,
though its own includes do.  Fails (exit 1) when:
  - modules include each other in a cycle;
  - a folder includes a header from a folder above it in LAYERS (each
    folder may use only its own and lower layers' headers).
Prints the folder graph with --dot.
"""
import os
import re
import sys

# Lowest first.  A folder may include headers from its own layer and below.
LAYERS = [
    ["util"],
    ["apimachinery", "prometheus", "auth"],
    ["config"],
    ["objects", "push"],
    ["http", "source"],
    ["handler", "kube", "explain"],
    ["server"],
]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main():
    src = sys.argv[1]
    where = {}          # header name -> folder
    stems = set()       # stems that have a .c
    files = []
    for folder in sorted(os.listdir(src)):
        d = os.path.join(src, folder)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                files.append((folder, name, os.path.join(d, name)))
                if name.endswith(".h"):
                    where[name] = folder
                else:
                    stems.add(name[:-2])
    rank = {f: i for i, layer in enumerate(LAYERS) for f in layer}
    edges = {}          # module -> set of modules
    folder_edges = set()
    problems = []
    for folder, name, path in files:
        if folder not in rank:
            problems.append("%s/%s: folder %s is not in LAYERS (t/tools/include-graph.py)"
                            % (folder, name, folder))
            continue
        mod = name.rsplit(".", 1)[0]
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            if inc not in where:
                continue            # a generated or system-like header
            dep = inc.rsplit(".", 1)[0]
            to = where[inc]
            if dep != mod and dep in stems:
                edges.setdefault(mod, set()).add(dep)
            if to != folder:
                folder_edges.add((folder, to))
                if rank.get(to, -1) > rank[folder]:
                    problems.append("src/%s/%s includes %s from %s, a higher layer"
                                    % (folder, name, inc, to))
    # cycles among modules: depth-first search with colours
    colour = {}
    stack = []

    def visit(m):
        colour[m] = 1
        stack.append(m)
        for d in sorted(edges.get(m, ())):
            if colour.get(d) == 1:
                problems.append("include cycle: " + " -> ".join(stack[stack.index(d):] + [d]))
            elif d not in colour:
                visit(d)
        stack.pop()
        colour[m] = 2

    for m in sorted(edges):
        if m not in colour:
            visit(m)
    if "--dot" in sys.argv:
        print("digraph src {")
        for a, b in sorted(folder_edges):
            print('  "%s" -> "%s";' % (a, b))
        print("}")
    for p in problems:
        print("include-graph: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
