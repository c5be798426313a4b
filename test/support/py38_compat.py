"""Static Python 3.8 compatibility check of the target-side helpers (test support, stdlib only).

Why static: the helpers promise Python >= 3.8 (IBM Python 3.8 LPARs exist), but no Python 3.8
can be installed from the registries this project's machines reach (Debian 12 ships 3.11 only).
So this check runs under the set-up's Python and refuses what 3.8 cannot run:

- syntax newer than 3.8 (ast.parse with feature_version=(3, 8));
- builtin generics (list[int], dict[str, X]; PEP 585, 3.9) and X | Y unions (PEP 604, 3.10)
  evaluated at run time, i.e. anywhere when the module lacks `from __future__ import annotations`;
- parenthesized context managers (3.9);
- calls of stdlib APIs added after 3.8 (the list below), except under
  `if sys.version_info >= (3, N):` with N >= 9.

Prints one JSON line: {"file": ..., "problems": [[line, text], ...]}; exit 0 either way.
"""
import ast
import json
import sys

GENERIC_BUILTINS = {"list", "dict", "tuple", "set", "frozenset", "type"}

# Methods that exist only on 3.9+ objects, whatever the receiver (str, bytes, Path, int).
NEW_METHODS = {
    "removeprefix": "3.9", "removesuffix": "3.9", "is_relative_to": "3.9", "with_stem": "3.9",
    "bit_count": "3.10", "splitroot": "3.12", "walk_up": "3.12",
}
# module.attribute pairs added after 3.8.
NEW_MODULE_ATTRS = {
    ("math", "lcm"): "3.9", ("math", "nextafter"): "3.9", ("math", "ulp"): "3.9",
    ("functools", "cache"): "3.9", ("itertools", "pairwise"): "3.10", ("itertools", "batched"): "3.12",
    ("os", "waitstatus_to_exitcode"): "3.9", ("os", "pidfd_open"): "3.9", ("random", "randbytes"): "3.9",
    ("hashlib", "file_digest"): "3.11", ("datetime", "UTC"): "3.11", ("sys", "orig_argv"): "3.10",
    ("sys", "stdlib_module_names"): "3.10", ("sys", "platlibdir"): "3.9", ("enum", "StrEnum"): "3.11",
    ("typing", "Self"): "3.11", ("typing", "TypeAlias"): "3.10", ("typing", "ParamSpec"): "3.10",
}
NEW_MODULES = {"zoneinfo": "3.9", "graphlib": "3.9", "tomllib": "3.11"}
# Keyword arguments added after 3.8 to functions the helpers use.
NEW_KWARGS = {("zip", "strict"): "3.10", ("rmtree", "onexc"): "3.12", ("dataclass", "slots"): "3.10",
              ("dataclass", "kw_only"): "3.10", ("ZipFile", "metadata_encoding"): "3.11",
              ("run", "process_group"): "3.11", ("Popen", "process_group"): "3.11"}


def guarded_newer(test):
    """True for `sys.version_info >= (3, N)` with N >= 9."""
    return (
        isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.GtE)
        and isinstance(test.left, ast.Attribute) and test.left.attr == "version_info"
        and isinstance(test.left.value, ast.Name) and test.left.value.id == "sys"
        and isinstance(test.comparators[0], ast.Tuple)
        and [getattr(e, "value", None) for e in test.comparators[0].elts[:2]] >= [3, 9]
    )


def check(path):
    src = open(path, "rb").read()
    problems = []
    try:
        tree = ast.parse(src, filename=path, feature_version=(3, 8))
    except SyntaxError as e:
        return [[e.lineno or 0, "syntax not accepted by Python 3.8: %s" % e.msg]]
    future_annotations = any(
        isinstance(n, ast.ImportFrom) and n.module == "__future__" and any(a.name == "annotations" for a in n.names)
        for n in tree.body
    )
    # Annotations are not evaluated under `from __future__ import annotations` (3.7+).
    skip = set()
    if future_annotations:
        for n in ast.walk(tree):
            anns = []
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                anns.append(n.returns)
                a = n.args
                anns.extend(x.annotation for x in a.args + a.kwonlyargs + getattr(a, "posonlyargs", []))
                anns.extend([a.vararg.annotation if a.vararg else None, a.kwarg.annotation if a.kwarg else None])
            elif isinstance(n, ast.AnnAssign):
                anns.append(n.annotation)
            for ann in anns:
                if ann is not None:
                    skip.update(id(x) for x in ast.walk(ann))
    # Code under `if sys.version_info >= (3, N):` with N > 8 never runs on 3.8.
    for n in ast.walk(tree):
        if isinstance(n, ast.If) and guarded_newer(n.test):
            for b in n.body:
                skip.update(id(x) for x in ast.walk(b))
    for n in ast.walk(tree):
        if id(n) in skip:
            continue
        line = getattr(n, "lineno", 0)
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id in GENERIC_BUILTINS:
            problems.append([line, "%s[...] at run time needs Python 3.9 (PEP 585)" % n.value.id])
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr) and any(
            isinstance(s, ast.Constant) and s.value is None for s in (n.left, n.right)
        ):
            problems.append([line, "X | None at run time needs Python 3.10 (PEP 604)"])
        elif isinstance(n, ast.With) and len(n.items) == 1 and isinstance(n.items[0].context_expr, ast.Tuple):
            # How 3.8's grammar reads `with (a, b):` (a tuple is no context manager): 3.9+ only.
            problems.append([line, "parenthesized context managers need Python 3.9"])
        elif isinstance(n, ast.Attribute):
            pair = (n.value.id, n.attr) if isinstance(n.value, ast.Name) else None
            if pair in NEW_MODULE_ATTRS:
                problems.append([line, "%s.%s needs Python %s" % (pair[0], pair[1], NEW_MODULE_ATTRS[pair])])
            elif n.attr in NEW_METHODS:
                problems.append([line, ".%s() needs Python %s" % (n.attr, NEW_METHODS[n.attr])])
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in n.names] if isinstance(n, ast.Import) else [n.module or ""]
            for m in names:
                if m.split(".")[0] in NEW_MODULES:
                    problems.append([line, "module %s needs Python %s" % (m, NEW_MODULES[m.split(".")[0]])])
        elif isinstance(n, ast.Call):
            f = n.func
            fname = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            for kw in n.keywords:
                v = NEW_KWARGS.get((fname, kw.arg))
                if v:
                    problems.append([line, "%s(%s=...) needs Python %s" % (fname, kw.arg, v)])
    return problems


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(json.dumps({"file": p, "problems": check(p)}))
