#!/usr/bin/env python3
"""A static lint for in-place tensor operations, on the syntax tree (not on text, so strings and comments
never match). It cannot know types, nor which tensors a graph saved: it lists candidates, each with a
severity that says what it does know, and the doctor (`diagnose_forward`) gives the verdict.

INP001  underscore-suffixed tensor method: x.add_(y), x.relu_()
INP002  augmented assignment on a name that may be a tensor: h += x, h *= 2
INP003  inplace=True argument: F.relu(x, inplace=True), nn.ReLU(inplace=True)
INP004  mutation through .data: h.data.add_(x), w.data *= 2, w.data = v (autograd never sees it)
INP005  slice assignment on what may be a tensor: buf[:, :8] = v
INP900  a pragma without a reason
Severity: high  the tensor is the output of an op that saves its output (sigmoid, tanh, exp, softmax, ...):
                backward raises unless the graph is never used;
          medium the tensor was computed in the same function (it has history): breaks backward if an op
                saved it; and any write through .data (silent when a graph saved the tensor);
          low   where the tensor comes from is unknown (an argument, an attribute), and every inplace=True.
Safe context (reported apart, not findings): torch.no_grad() / torch.inference_mode() blocks and functions
(unless the tensor was computed before the block, with grad on: no_grad does not switch off the version
check), `step` methods of optimizer classes, forward/backward of autograd.Function classes, torch.nn.init
functions. A line is reported once, with its
highest severity. Silence one line with `# lint: allow[inplace] <reason>`.

This file needs the standard library alone: the pre-commit hook (`.pre-commit-hooks.yaml` at the repository's
root) runs it as a script, with no torch to install.
"""

import ast
import re
import sys
import tokenize
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

PRAGMA = re.compile(r"#\s*lint:\s*allow\[inplace\](.*)$")
NO_GRAD_CONTEXTS = {"no_grad", "inference_mode"}
NOT_MUTATING = {"requires_grad_", "retain_grad_", "share_memory_"}  # flags or storage moves, not values
PLAIN_CALLS = {"item", "len", "int", "float", "str", "round", "sum", "max", "min", "abs", "range", "enumerate",
               "list", "dict", "set", "tuple", "defaultdict", "OrderedDict", "zip", "sorted", "tolist", "index"}
# Ops whose backward reads their own output (the saved slot is `result`): an in-place op on that output makes
# backward raise. Measured on torch 2.13.0 (tests/test_lint.py runs each one).
SAVES_OUTPUT = {"sigmoid", "tanh", "exp", "exp2", "expm1", "sqrt", "rsqrt", "reciprocal", "softmax",
                "log_softmax", "relu"}
TORCH_MODULES = {"torch", "F", "nn.functional", "torch.nn.functional"}  # torch.relu_(x) writes x
SKIPPED_DIRS = {".venv", "venv", ".git"}
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class Finding:
    """One place in the source, in the format linters use, with what is known about it."""

    path: str
    line: int
    col: int
    code: str
    message: str
    severity: str = "medium"  # high | medium | low

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code} [{self.severity}] {self.message}"


@dataclass
class LintReport:
    """Findings (exit 1), safe contexts and pragma-allowed lines (both information only), unreadable files."""

    findings: list[Finding] = field(default_factory=list)
    safe: list[Finding] = field(default_factory=list)
    allowed: list[Finding] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # one line each: the file and why it was skipped
    files: int = 0


def lint_paths(paths: Sequence[str | Path]) -> list[Finding]:
    """The findings in every .py file under `paths` (safe contexts and allowed lines left out)."""
    return lint_report(paths).findings


def lint_report(paths: Sequence[str | Path]) -> LintReport:
    """Findings, safe contexts and allowed lines of every .py file under `paths` (FileNotFoundError: one is missing)."""
    report = LintReport()
    for path in python_files(paths):
        report.files += 1
        lint_file(path, report)
    return report


def python_files(paths: Sequence[str | Path]) -> list[Path]:
    """The .py files a list of files and directories names, sorted. Virtual environments and .git met while
    walking a directory are skipped; a path given by name is linted wherever it is."""
    files = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(str(path))
        if path.is_file():
            files.append(path)
        else:
            files += [p for p in path.rglob("*.py") if not SKIPPED_DIRS & set(p.relative_to(path).parts)]
    return sorted(set(files))


def lint_source(source: str, path: str = "<snippet>") -> LintReport:
    """Findings, safe contexts and allowed lines of one piece of source text."""
    report = LintReport(files=1)
    lint_text(source, path, report)
    return report


def lint_file(path: Path, report: LintReport) -> None:
    """Add one file's findings to `report`; a file that cannot be decoded or parsed is noted as unreadable."""
    data = path.read_bytes()
    try:
        encoding = tokenize.detect_encoding(iter(data.splitlines(keepends=True)).__next__)[0]  # PEP 263 cookie
        source = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError) as e:
        report.unreadable.append(f"{path}: not valid source text ({e}); skipped")
        return
    lint_text(source, str(path), report)


def lint_text(source: str, path: str, report: LintReport) -> None:
    """Add the findings of `source` (named `path` in the output) to `report`, one per line at most."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as e:
        report.unreadable.append(f"{path}:{e.lineno or 1}: cannot parse ({e.msg}); skipped")
        return
    pragmas = {}
    for number, text in enumerate(source.splitlines(), start=1):
        match = PRAGMA.search(text)
        if match:
            pragmas[number] = match[1].strip()
            if not match[1].strip():
                report.findings.append(Finding(path, number, match.start() + 1, "INP900",
                                               "pragma without a reason: write `# lint: allow[inplace] <why>`",
                                               "low"))
    visitor = InplaceVisitor(path)
    visitor.visit(tree)
    for finding, safe_reason in one_per_line(visitor.hits):
        if safe_reason:
            report.safe.append(replace(finding, message=f"{finding.message} [safe: {safe_reason}]"))
        elif pragmas.get(finding.line):
            report.allowed.append(replace(finding, message=f"{finding.message} [allowed: {pragmas[finding.line]}]"))
        elif finding.line not in pragmas:  # an empty pragma is already a finding of its own
            report.findings.append(finding)


def one_per_line(hits: list[tuple[Finding, str | None]]) -> list[tuple[Finding, str | None]]:
    """One hit per line (a chain `x.mul_(a).add_(b)` is one place): a finding wins over a safe context, then the
    highest severity; the other messages are appended."""
    by_line: dict[int, list[tuple[Finding, str | None]]] = {}
    for hit in hits:
        by_line.setdefault(hit[0].line, []).append(hit)
    merged = []
    for line_hits in by_line.values():
        line_hits.sort(key=lambda h: (h[1] is not None, SEVERITY_RANK[h[0].severity], h[0].col))
        first, reason = line_hits[0]
        others = list(dict.fromkeys(h[0].message for h in line_hits if h[0].message != first.message))
        merged.append((replace(first, message="; ".join([first.message, *others])), reason))
    return sorted(merged, key=lambda h: h[0].line)


def dotted(node: ast.AST) -> str:
    """"torch.nn.init" for an attribute chain, "" when it is not one."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return ""


def call_name(node: ast.AST) -> str:
    """The last name of a call: "sigmoid" for torch.sigmoid(x) and for x.sigmoid(); "" when not a call."""
    if not isinstance(node, ast.Call):
        return ""
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def is_no_grad(expr: ast.AST) -> bool:
    """torch.no_grad(), no_grad(), torch.inference_mode(), as a context or a decorator."""
    name = dotted(expr.func if isinstance(expr, ast.Call) else expr)
    return name.rpartition(".")[2] in NO_GRAD_CONTEXTS


def through_data(node: ast.AST) -> bool:
    """Whether an expression reaches its tensor through `.data` (x.data, x.data[0], x.data.view(...))."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        if isinstance(node, ast.Attribute) and node.attr == "data":
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def root_name(node: ast.AST) -> str | None:
    """The local name an expression writes into: h for h, h[0] and h[:, :8]; None for attributes and calls."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


LITERALS = (ast.Constant, ast.JoinedStr, ast.List, ast.ListComp, ast.Dict, ast.DictComp, ast.Set, ast.SetComp)


def is_plain_value(value: ast.AST) -> bool:
    """A number, string, list, dict or set literal, or a call that returns a plain value (len, item, dict)."""
    if isinstance(value, LITERALS):
        return True
    if isinstance(value, ast.UnaryOp):
        return is_plain_value(value.operand)
    if isinstance(value, ast.BinOp):  # [0] * n, [a] + rest, "a" + b: a sequence, not a tensor
        return is_sequence(value.left) or is_sequence(value.right)
    return call_name(value) in PLAIN_CALLS


def is_sequence(value: ast.AST) -> bool:
    """A list, tuple, dict, set or string literal (what `+=` extends): never a tensor."""
    return isinstance(value, LITERALS + (ast.Tuple,)) and not (
        isinstance(value, ast.Constant) and isinstance(value.value, (int, float, complex)))


def value_kind(value: ast.AST) -> str:
    """What an assignment makes of its name: "plain", "saves_output:<op>", "tensor" (computed: it has
    history when grad is on) or "unknown" (an alias, an attribute)."""
    if is_plain_value(value):
        return "plain"
    if call_name(value) in SAVES_OUTPUT:
        return f"saves_output:{call_name(value)}"
    if isinstance(value, (ast.Call, ast.BinOp, ast.Subscript)):
        return "tensor"
    return "unknown"


def own_nodes(scope: ast.AST) -> list[ast.AST]:
    """The nodes of a module or function, without the bodies of the functions and classes it defines."""
    nodes, stack = [], list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        nodes.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return nodes


def assignments(scope: ast.AST) -> dict[str, list[tuple[tuple[int, int], str]]]:
    """Every name assigned in `scope` (not in the functions it defines): ((line, column), value_kind) in source order.
    A loop over range() gives a plain name; any other loop target, an unknown one."""
    found: dict[str, list[tuple[tuple[int, int], str]]] = {}
    for node in own_nodes(scope):
        pairs: list[tuple[ast.expr, str]] = []
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) and \
                        len(target.elts) == len(node.value.elts):
                    pairs += [(t, value_kind(v)) for t, v in zip(target.elts, node.value.elts, strict=False)]
                elif isinstance(target, ast.Tuple):  # a, b = f(x): each part of a computed result
                    pairs += [(t, "plain" if is_plain_value(node.value) else "tensor") for t in target.elts]
                else:
                    pairs.append((target, value_kind(node.value)))
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            pairs.append((node.target, value_kind(node.value)))
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            kind = "plain" if call_name(node.iter) == "range" else "unknown"
            pairs += [(t, kind) for t in (node.target.elts if isinstance(node.target, ast.Tuple) else [node.target])]
        for target, kind in pairs:
            if isinstance(target, ast.Name) and isinstance(node, ast.stmt):  # pairs come from statements only
                found.setdefault(target.id, []).append(((node.lineno, node.col_offset), kind))
    return {name: sorted(kinds) for name, kinds in found.items()}


@dataclass
class Context:
    """An enclosing context that makes in-place ops safe, and the lines it spans (None: safe for any tensor)."""

    reason: str
    span: tuple[int, int] | None = None  # no_grad: a tensor computed outside these lines may be in a graph
    guard: str = ""  # "torch.no_grad()", as written


class InplaceVisitor(ast.NodeVisitor):
    """Collects (finding, safe-context reason or None) for every in-place pattern in one module."""

    def __init__(self, path: str):
        self.path = path
        self.hits: list[tuple[Finding, str | None]] = []
        self.contexts: list[Context | None] = []  # None: a function that adds no safe context of its own
        self.class_bases: list[list[str]] = []
        # per function (and module): its assignments
        self.scopes: list[dict[str, list[tuple[tuple[int, int], str]]]] = []

    def visit_Module(self, node: ast.Module) -> None:
        self.scopes.append(assignments(node))
        self.generic_visit(node)

    def origin(self, name: str | None, node: ast.expr | ast.stmt) -> tuple[str, int]:
        """The kind and line of the latest assignment to `name` before `node` in the current function (an earlier
        statement of the same line counts: `y = torch.sigmoid(x); y *= 2`)."""
        here = (node.lineno, node.col_offset)
        before = [(at, kind) for at, kind in self.scopes[-1].get(name, []) if at < here] if name else []
        return (before[-1][1], before[-1][0][0]) if before else ("unknown", 0)

    def is_plain_name(self, name: str | None) -> bool:
        """Every assignment in the function gives `name` a plain value (a counter, a list, a string)."""
        kinds = self.scopes[-1].get(name, []) if name else []
        return bool(kinds) and all(kind == "plain" for _, kind in kinds)

    def hit(self, node: ast.expr | ast.stmt, code: str, what: str, name: str | None = None,
            severity: str | None = None) -> None:
        """Record an in-place write `what` into local `name`; its severity and safety follow from where `name`
        was computed, unless `severity` is given."""
        kind, at = self.origin(name, node)
        message = what
        if severity is None:
            if kind.startswith("saves_output:"):
                op = kind.partition(":")[2]
                severity, message = "high", f"{what}: {name} is the output of {op}() (line {at}), which autograd " \
                                            f"saves for backward"
            else:
                severity = "medium" if kind == "tensor" else "low"
        context = next((c for c in reversed(self.contexts) if c is not None), None)
        reason = context.reason if context else None
        if context and context.span and kind != "unknown" and kind != "plain" and \
                not context.span[0] <= at <= context.span[1]:
            reason = None  # computed before the no_grad block, with grad on: a graph may have saved it
            message += f"; {name} was computed before {context.guard} (line {at}), with grad on: if a graph saved " \
                       f"it, backward still raises (no_grad does not switch off the version check)"
        self.hits.append((Finding(self.path, node.lineno, node.col_offset + 1, code, message, severity), reason))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Remember the bases, so a `step` method knows whether it is an optimizer's."""
        self.class_bases.append([dotted(base) for base in node.bases])
        self.generic_visit(node)
        self.class_bases.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """A function decorated with no_grad, or an optimizer's step, is a safe context."""
        context = None
        guard = next((d for d in node.decorator_list if is_no_grad(d)), None)
        if guard is not None:
            context = Context(f"inside @{dotted(guard)}: autograd records nothing here",
                              (node.lineno, cast(int, node.end_lineno)), f"@{dotted(guard)}")
        elif node.name == "step" and self.class_bases and any(b.endswith("Optimizer") for b in self.class_bases[-1]):
            context = Context("inside an optimizer step: after backward, outside the graph")
        elif node.name in ("forward", "backward") and self.class_bases and \
                any(b.rpartition(".")[2] == "Function" for b in self.class_bases[-1]):
            context = Context(f"inside an autograd.Function's {node.name}: autograd records nothing there")
        self.contexts.append(context)
        self.scopes.append(assignments(node))
        self.generic_visit(node)
        self.scopes.pop()
        self.contexts.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_With(self, node: ast.With) -> None:
        """The body of `with torch.no_grad():` / `torch.inference_mode():` is a safe context for what it computes."""
        guard = next((item.context_expr for item in node.items if is_no_grad(item.context_expr)), None)
        for item in node.items:
            self.visit(item)
        if guard is not None:
            self.contexts.append(Context(f"under {dotted(guard)}(): autograd records nothing here",
                                         (node.lineno, cast(int, node.end_lineno)), f"{dotted(guard)}()"))
        for statement in node.body:
            self.visit(statement)
        if guard is not None:
            self.contexts.pop()

    def visit_Call(self, node: ast.Call) -> None:
        """x.add_(...), torch.relu_(x), h.data.add_(...), and any inplace=True argument."""
        if isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method.endswith("_") and not method.endswith("__") and method not in NOT_MUTATING:
                receiver = dotted(node.func.value)
                if receiver.rpartition(".")[2] == "init":
                    self.hits.append((Finding(self.path, node.lineno, node.col_offset + 1, "INP001",
                                              f"{receiver}.{method}()", "low"), "nn.init runs under torch.no_grad()"))
                elif through_data(node.func.value):
                    self.hit(node, "INP004", f".data.{method}(): mutation autograd never sees "
                                             f"(silent if a graph saved the tensor)", severity="medium")
                else:
                    target = node.args[0] if receiver in TORCH_MODULES and node.args else node.func.value
                    name = root_name(target)
                    self.hit(node, "INP001", f"in-place {method}() on {name or dotted(target) or 'an expression'}",
                             name)
        for keyword in node.keywords:
            if keyword.arg == "inplace" and isinstance(keyword.value, ast.Constant) and keyword.value.value is True:
                name = root_name(node.args[0]) if node.args else None
                high = self.origin(name, node)[0].startswith("saves_output:")
                self.hit(keyword.value, "INP003", f"inplace=True in {dotted(node.func) or 'a call'}(): writes its "
                                                  f"input", name, None if high else "low")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        """h += x on what may be a tensor (through .data: INP004)."""
        operator = type(node.op).__name__
        name = root_name(node.target)
        kind = self.origin(name, node)[0]
        if through_data(node.target):
            self.hit(node, "INP004", f"augmented assignment ({operator}) through .data: autograd never sees it",
                     severity="medium")
        elif name == "self" or self.is_plain_name(name) or is_sequence(node.value) or (
                is_plain_value(node.value) and kind in ("unknown", "plain")):
            pass  # n += 1 on a counter, lines += [...]: not a tensor, as far as the source says
        else:
            self.hit(node, "INP002", f"augmented assignment ({operator}) on {name or dotted(node.target) or 'a target'}"
                                     f", in place if it is a tensor", name)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        """w.data = v (values swapped behind autograd's back) and buf[:, :8] = v (a write into a tensor)."""
        for target in node.targets:
            is_own = isinstance(target, ast.Attribute) and dotted(target.value) == "self"  # a class defining .data
            if isinstance(target, ast.Attribute) and target.attr == "data" and not is_own:
                self.hit(target, "INP004", f"assignment to {dotted(target)}: swaps values behind autograd's back",
                         severity="medium")
            elif isinstance(target, ast.Subscript):
                self.slice_assignment(target)
        self.generic_visit(node)

    def slice_assignment(self, target: ast.Subscript) -> None:
        """buf[:, :8] = v, buf[mask] = v: flagged when the index is a tensor's (a slice, a tuple, a mask) and buf is
        not a plain list, or buf is the output of an op that saves it; a key (d[k] = v) is a dict's."""
        name = root_name(target)
        kind = self.origin(name, target)[0]
        index = target.slice
        tensor_index = not isinstance(index, (ast.Name, ast.Constant, ast.Attribute, ast.JoinedStr)) or (
            isinstance(index, ast.Constant) and index.value is Ellipsis)
        if through_data(target):
            self.hit(target, "INP004", f"slice assignment through {dotted(target.value) or '.data'}: autograd never "
                                       f"sees it", severity="medium")
        elif kind.startswith("saves_output:") or (tensor_index and not self.is_plain_name(name)):
            self.hit(target, "INP005", f"slice assignment into {name or dotted(target.value) or 'an expression'}, "
                                       f"in place if it is a tensor", name)


def lint_command(paths: list[str], quiet: bool = False, program: str = "autograd-doctor lint") -> int:
    """Print every finding under `paths`, the safe contexts unless `quiet`, then a count; exit status 0 no
    findings, 1 findings, 2 a missing path or an unreadable file (named on stderr; the others are still linted)."""
    try:
        report = lint_report(paths)
    except FileNotFoundError as e:
        print(f"{program}: no file or directory '{e}'; give .py files or directories that exist", file=sys.stderr)
        return 2
    for finding in report.findings:
        print(finding)
    if not quiet and report.safe + report.allowed:
        print("not findings (safe context, or allowed by a pragma with its reason):")
        for info in report.safe + report.allowed:
            print(f"  {info}")
    for line in report.unreadable:
        print(f"{program}: error: {line}", file=sys.stderr)
    severities = Counter(f.severity for f in report.findings)
    counts = ", ".join(f"{severities[s]} {s}" for s in SEVERITY_RANK)
    print(f"{len(report.findings)} findings ({counts}), {len(report.safe)} in safe contexts, {len(report.allowed)} "
          f"allowed by pragma, in {report.files} files; the doctor gives the verdict")
    return 2 if report.unreadable else 1 if report.findings else 0


if __name__ == "__main__":  # the pre-commit hook: `_lint.py [--quiet] FILES...`
    arguments = sys.argv[1:]
    if not [a for a in arguments if a != "--quiet"]:
        print("autograd-doctor lint: no file given (usage: _lint.py [--quiet] FILES...)", file=sys.stderr)
        sys.exit(2)
    sys.exit(lint_command([a for a in arguments if a != "--quiet"], "--quiet" in arguments, "autograd-doctor lint"))
