#!/usr/bin/env python3
"""The layering of workers/ as the build declares it, checked against the sources.

* Every folder workers/<layer>/<concern>/ includes only folders of its own layer or of
  the layers its CMake target links (transitively): the compiler already refuses an
  upward include (each layer's include root is private to it and the layers above);
  this names the offending line instead of a "file not found".
* No include cycle between folders, inside a layer too (e.g. http/ <-> api/), which
  the compiler cannot see.
* The README's layer table names exactly the layers and folders that exist.

Usage: layers.py SOURCE_DIR. Exit 1 with one line per problem.
"""
import os
import re
import sys

root = sys.argv[1]
workers = os.path.join(root, "workers")
problems = []

# ez_layer(name DEPS ez_x ez_y ...) in CMakeLists.txt
cmake = open(os.path.join(root, "CMakeLists.txt"), encoding="utf-8").read()
deps = {}
for m in re.finditer(r"^ez_layer\((\w+)\s+DEPS([^)]*)\)", cmake, re.M):
    deps[m.group(1)] = [d[3:] for d in m.group(2).split() if d.startswith("ez_")]
if not deps:
    sys.exit("layers: no ez_layer() in CMakeLists.txt")


def below(layer, seen=None):
    seen = set() if seen is None else seen
    for d in deps.get(layer, []):
        if d not in seen:
            seen.add(d)
            below(d, seen)
    return seen


# folder -> layer, for every workers/<layer>/<folder>/
folder_layer = {}
for layer in deps:
    ldir = os.path.join(workers, layer)
    if not os.path.isdir(ldir):
        problems.append(f"CMake layer '{layer}' has no directory workers/{layer}/")
        continue
    for folder in sorted(os.listdir(ldir)):
        if os.path.isdir(os.path.join(ldir, folder)):
            if folder in folder_layer:
                problems.append(f"folder '{folder}' is in two layers")
            folder_layer[folder] = layer
for entry in sorted(os.listdir(workers)):
    if os.path.isdir(os.path.join(workers, entry)) and entry not in deps and entry != "cmd":
        problems.append(f"workers/{entry}/ belongs to no CMake layer")

include_re = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)
edges = {}  # folder -> {folder: first "file:line"}
for folder, layer in folder_layer.items():
    allowed = {layer} | below(layer)
    fdir = os.path.join(workers, layer, folder)
    for name in sorted(os.listdir(fdir)):
        path = os.path.join(fdir, name)
        if not name.endswith((".h", ".cpp")):
            continue
        text = open(path, encoding="utf-8").read()
        for m in include_re.finditer(text):
            target = m.group(1)
            if target not in folder_layer:
                continue
            line = text.count("\n", 0, m.start()) + 1
            where = f"workers/{layer}/{folder}/{name}:{line}"
            if folder_layer[target] not in allowed:
                problems.append(f"{where}: {folder}/ ({layer}) includes {target}/ "
                                f"({folder_layer[target]}), which is not below it")
            if target != folder:
                edges.setdefault(folder, {}).setdefault(target, where)

# Cycles between folders (depth-first search, one report per cycle found).
state = {}


def visit(node, stack):
    state[node] = "open"
    stack.append(node)
    for nxt, where in sorted(edges.get(node, {}).items()):
        if state.get(nxt) == "open":
            cycle = stack[stack.index(nxt):] + [nxt]
            problems.append("include cycle: " + " -> ".join(cycle) + f" (closing edge at {where})")
        elif nxt not in state:
            visit(nxt, stack)
    stack.pop()
    state[node] = "done"


for folder in sorted(folder_layer):
    if folder not in state:
        visit(folder, [])

# The README's table: rows "| layer | folders |" between the markers.
readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
m = re.search(r"<!-- layers:begin -->(.*?)<!-- layers:end -->", readme, re.S)
if not m:
    problems.append("README.md has no layer table (<!-- layers:begin --> ... <!-- layers:end -->)")
else:
    documented = {}
    for row in re.finditer(r"^\|\s*`?(\w+)`?\s*\|\s*([^|]*)\|", m.group(1), re.M):
        if row.group(1) in ("layer", "Layer"):
            continue
        documented[row.group(1)] = set(re.findall(r"`(\w+)/`", row.group(2)))
    for layer in deps:
        actual = {f for f, l in folder_layer.items() if l == layer}
        if layer not in documented:
            problems.append(f"README layer table lacks layer '{layer}'")
        elif documented[layer] != actual:
            problems.append(f"README layer table: '{layer}' lists {sorted(documented[layer])}, "
                            f"the tree has {sorted(actual)}")
    for layer in documented:
        if layer not in deps and layer != "cmd":
            problems.append(f"README layer table names '{layer}', which CMake does not build")

for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"layers: {len(deps)} layers, {len(folder_layer)} folders, no upward include, no cycle")
