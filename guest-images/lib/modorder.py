#!/usr/bin/env python3
"""Print, in load order (dependencies first), the modules.dep paths of the
named modules and all their dependencies. Names that are built in
(modules.builtin) are skipped; unknown names are an error.
usage: modorder.py /lib/modules/KVER name..."""
import os
import sys


def norm(name):
    return name.replace("-", "_")


def modname(path):
    base = os.path.basename(path)
    return norm(base.split(".ko")[0])


def main():
    mdir, names = sys.argv[1], sys.argv[2:]
    deps, bypath = {}, {}
    with open(os.path.join(mdir, "modules.dep")) as f:
        for line in f:
            if ":" not in line:
                continue
            path, rest = line.split(":", 1)
            deps[path] = rest.split()
            bypath[modname(path)] = path
    builtin = set()
    try:
        with open(os.path.join(mdir, "modules.builtin")) as f:
            builtin = {modname(l.strip()) for l in f if l.strip()}
    except FileNotFoundError:
        pass
    order, seen, missing = [], set(), []

    def visit(path):
        if path in seen:
            return
        seen.add(path)
        # modules.dep lists the deepest dependency last: load it first.
        for d in reversed(deps.get(path, [])):
            visit(d)
        order.append(path)

    for n in names:
        n = norm(n)
        if n in bypath:
            visit(bypath[n])
        elif n not in builtin:
            missing.append(n)
    if missing:
        sys.exit("modorder: not in modules.dep nor modules.builtin: " + " ".join(missing))
    print("\n".join(order))


if __name__ == "__main__":
    main()
