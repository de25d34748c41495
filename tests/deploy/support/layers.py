#!/usr/bin/env python3
"""The layering of workers/ as the build declares it, checked against the sources.

* Every folder workers/<layer>/<concern>/ includes only folders of its own layer or of
  the layers its CMake target links (transitively): the compiler already refuses an
  upward include (each layer's include root is private to it and the layers above);
  this names the offending line instead of a "file not found".
* No include cycle between folders, inside a layer too (e.g. http/ <-> api/), which
  the compiler cannot see.
* The README's layer table names exactly the layers and folders that exist.
* A namespace is its folder's name: code in workers/<layer>/<folder>/ is in
  ez::<folder> (or nested inside it). Another ez namespace may be opened only to
  forward-declare a class; base/common/ is the root namespace `ez` (the vocabulary every
  layer speaks: ez::Error, ez::log, ...). Namespaces of other libraries (pqxx::internal
  trait specialisations) are theirs.
* A comment that names a source path (`db/errors.h`, `workers/...`, `docs/...`) names a
  file that exists, and no comment cites an issue number or a file outside the repository.

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


# --- namespaces and comments, file by file -------------------------------------------------
def strip_code(text):
    """(code, comments): the text with comments and string/char literals blanked, and the
    text with everything but comments blanked (newlines kept in both)."""
    out, com, i, n = [], [], 0, len(text)
    blank = lambda s: re.sub(r"[^\n]", " ", s)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); com.append(text[i:j]); i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(blank(text[i:j])); com.append(text[i:j]); i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(blank(text[i:j])); com.append(blank(text[i:j])); i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(blank(text[i:j + 1])); com.append(blank(text[i:j + 1])); i = j + 1
        else:
            out.append(c); com.append(c if c == "\n" else " "); i += 1
    return "".join(out), "".join(com)


ns_open = re.compile(r"\bnamespace\s+([A-Za-z_][\w:]*)\s*\{")
forward_only = re.compile(r"^\s*((class|struct)\s+\w+\s*;\s*)*$")
path_re = re.compile(r"(?<![\w./-])((?:\.\./)*[a-z_][\w-]*(?:/[\w.-]+)+\.(?:h|cpp|sql|sh|md|ya?ml|json|conf|lua|py|mjs|js))\b")
issue_re = re.compile(r"\b[Ii]ssues?\s+#?\d+|\bDESIGN(\.md)?\s*(§|section)")


def path_exists(path, here):
    if path.startswith("../"):
        return False  # outside the repository
    candidates = [os.path.join(root, path), os.path.join(here, path)]
    candidates += [os.path.join(workers, layer, path) for layer in deps]
    # include roots: workers/, tests/ and the test trees' own (support/...)
    candidates += [os.path.join(root, d, path)
                   for d in ("workers", "tests", "tests/unit", "tests/integration")]
    return any(os.path.exists(c) for c in candidates)


source_files = []
for dirpath, _, names in os.walk(workers):
    source_files += [os.path.join(dirpath, n) for n in names if n.endswith((".h", ".cpp"))]
for dirpath, _, names in os.walk(os.path.join(root, "tests")):
    source_files += [os.path.join(dirpath, n) for n in names if n.endswith((".h", ".cpp"))]

for path in sorted(source_files):
    rel = os.path.relpath(path, root)
    text = open(path, encoding="utf-8").read()
    code, comments = strip_code(text)
    parts = rel.split(os.sep)
    if parts[0] == "workers" and len(parts) == 4:
        folder = parts[2]
        own = "ez" if (parts[1], folder) == ("base", "common") else f"ez::{folder}"
        depth, i = 0, 0
        for m in re.finditer(r"[{}]|\bnamespace\s+[A-Za-z_][\w:]*\s*\{", code):
            tok = m.group(0)
            if tok == "{":
                depth += 1
            elif tok == "}":
                depth -= 1
            else:
                name = ns_open.match(tok).group(1)
                top = depth == 0
                depth += 1
                if not top or not (name == "ez" or name.startswith("ez::")):
                    continue
                if name == own or name.startswith(own + "::") or (own == "ez"):
                    continue
                # the block's body: up to the matching brace
                level, j = 1, m.end()
                while j < len(code) and level:
                    level += {"{": 1, "}": -1}.get(code[j], 0)
                    j += 1
                if not forward_only.match(code[m.end():j - 1]):
                    line = code.count("\n", 0, m.start()) + 1
                    problems.append(f"{rel}:{line}: namespace {name} in {folder}/ (expected {own})")
    # Comments only: what remains of each line after its code.
    for lineno, comment in enumerate(comments.split("\n"), 1):
        if not comment.strip():
            continue
        for pm in path_re.finditer(comment):
            if not path_exists(pm.group(1), os.path.dirname(path)):
                problems.append(f"{rel}:{lineno}: comment names {pm.group(1)}, which does not exist")
        if issue_re.search(comment):
            problems.append(f"{rel}:{lineno}: comment cites an issue or a file outside the repository")

# Scripts and configuration: no issue numbers or outside design files in their comments
# either (whole lines starting with '#'; this file's own pattern is exempt).
# The docs speak in the present tense about the code: no issue numbers there either.
for doc in ["README.md"] + [os.path.join("docs", n) for n in sorted(os.listdir(os.path.join(root, "docs")))]:
    if doc.endswith((".md", ".yaml")):
        for lineno, line in enumerate(open(os.path.join(root, doc), encoding="utf-8"), 1):
            if issue_re.search(line):
                problems.append(f"{doc}:{lineno}: cites an issue number or a document outside "
                                "the repository")

for top in ("scripts", "tests", "nginx", "conf", "systemd", "ansible", "console/src", "console/test"):
    for dirpath, dirs, names in os.walk(os.path.join(root, top)):
        dirs[:] = [d for d in dirs if d != "node_modules"]
        for n in names:
            path = os.path.join(dirpath, n)
            if path == os.path.abspath(__file__) or n.endswith((".h", ".cpp", ".json")):
                continue
            try:
                lines = open(path, encoding="utf-8").read().split("\n")
            except (UnicodeDecodeError, OSError):
                continue
            for lineno, line in enumerate(lines, 1):
                s = line.strip()
                if (s.startswith(("#", "//", "--", "*")) and not s.startswith("#!")) and issue_re.search(s):
                    problems.append(f"{os.path.relpath(path, root)}:{lineno}: comment cites an issue "
                                    "or a file outside the repository")

for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"layers: {len(deps)} layers, {len(folder_layer)} folders, no upward include, no cycle")
