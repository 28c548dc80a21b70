"""A static lint for in-place tensor operations, on the syntax tree (not on text, so strings and comments
never match). It cannot know types: it flags what *may* mutate a tensor, and says which code is safe.

INP001  underscore-suffixed tensor method or torch function: x.add_(y), torch.relu_(x)
INP002  augmented assignment on a name that may be a tensor: h += x
INP003  inplace=True argument: F.relu(x, inplace=True), nn.ReLU(inplace=True)
INP004  mutation through .data: h.data.add_(x), w.data *= 2, w.data = v (autograd never sees it)
INP900  a pragma without a reason
Safe context (reported apart, not findings): code under torch.no_grad() / torch.inference_mode(),
functions decorated with either, `step` methods of optimizer classes, and torch.nn.init functions
(which run under no_grad themselves). Silence one line with `# lint: allow[inplace] <reason>`.
"""

import ast
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

PRAGMA = re.compile(r"#\s*lint:\s*allow\[inplace\](.*)$")
NO_GRAD_CONTEXTS = {"no_grad", "inference_mode"}
NOT_MUTATING = {"requires_grad_", "retain_grad_"}  # flags on the tensor, not its values
SCALAR_CALLS = {"item", "len", "int", "float", "str", "round", "sum", "max", "min", "abs"}


@dataclass(frozen=True)
class Finding:
    """One place in the source, in the format linters use."""

    path: str
    line: int
    col: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"


@dataclass
class LintReport:
    """Findings (exit 1), safe contexts and pragma-allowed lines (both information only)."""

    findings: list[Finding] = field(default_factory=list)
    safe: list[Finding] = field(default_factory=list)
    allowed: list[Finding] = field(default_factory=list)
    files: int = 0


def lint_paths(paths: list[str | Path]) -> list[Finding]:
    """The findings in every .py file under `paths` (safe contexts and allowed lines left out)."""
    return lint_report(paths).findings


def lint_report(paths: list[str | Path]) -> LintReport:
    """Findings, safe contexts and allowed lines of every .py file under `paths` (FileNotFoundError: one is missing)."""
    report = LintReport()
    for path in python_files(paths):
        report.files += 1
        lint_file(path, report)
    return report


def python_files(paths: list[str | Path]) -> list[Path]:
    """The .py files a list of files and directories names, sorted, skipping virtual environments."""
    files = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(str(path))
        if path.is_file():
            files.append(path)
        else:
            files += [p for p in path.rglob("*.py") if not {".venv", "venv", ".git"} & set(p.parts)]
    return sorted(set(files))


def lint_source(source: str, path: str = "<snippet>") -> LintReport:
    """Findings, safe contexts and allowed lines of one piece of source text."""
    report = LintReport(files=1)
    lint_text(source, path, report)
    return report


def lint_file(path: Path, report: LintReport) -> None:
    """Add one file's findings, safe contexts and allowed lines to `report`."""
    lint_text(path.read_text(encoding="utf-8"), str(path), report)


def lint_text(source: str, path: str, report: LintReport) -> None:
    """Add the findings of `source` (named `path` in the output) to `report`."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as e:
        report.findings.append(Finding(path, e.lineno or 1, e.offset or 0, "INP999", f"cannot parse: {e.msg}"))
        return
    pragmas = {}
    for number, text in enumerate(source.splitlines(), start=1):
        match = PRAGMA.search(text)
        if match:
            pragmas[number] = match[1].strip()
            if not match[1].strip():
                report.findings.append(Finding(path, number, match.start() + 1, "INP900",
                                               "pragma without a reason: write `# lint: allow[inplace] <why>`"))
    visitor = InplaceVisitor(path)
    visitor.visit(tree)
    for finding, safe_reason in visitor.hits:
        if safe_reason:
            report.safe.append(replace(finding, message=f"{finding.message} [safe: {safe_reason}]"))
        elif pragmas.get(finding.line):
            report.allowed.append(replace(finding, message=f"{finding.message} [allowed: {pragmas[finding.line]}]"))
        elif finding.line not in pragmas:  # an empty pragma is already a finding of its own
            report.findings.append(finding)


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


LITERALS = (ast.Constant, ast.JoinedStr, ast.List, ast.ListComp, ast.Dict, ast.DictComp, ast.Set, ast.SetComp)


def is_plain_value(value: ast.AST) -> bool:
    """A number, string, list, dict or set literal, or a call that returns a plain number (len, item)."""
    if isinstance(value, LITERALS):
        return True
    return isinstance(value, ast.Call) and dotted(value.func).rpartition(".")[2] in SCALAR_CALLS


def plain_names(function: ast.AST) -> set[str]:
    """Names every assignment in `function` gives a plain value (a string, list, number): not tensors."""
    values: dict[str, list[ast.AST]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                pairs = zip(target.elts, node.value.elts) if isinstance(target, ast.Tuple) and \
                    isinstance(node.value, ast.Tuple) and len(target.elts) == len(node.value.elts) \
                    else [(target, node.value)]
                for name, value in pairs:
                    if isinstance(name, ast.Name):
                        values.setdefault(name.id, []).append(value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            values.setdefault(node.target.id, []).append(node.value)
    return {name for name, assigned in values.items() if all(map(is_plain_value, assigned))}


class InplaceVisitor(ast.NodeVisitor):
    """Collects (finding, safe-context reason or None) for every in-place pattern in one module."""

    def __init__(self, path: str):
        self.path = path
        self.hits: list[tuple[Finding, str | None]] = []
        self.safe_stack: list[str] = []
        self.class_bases: list[list[str]] = []
        self.plain: list[set[str]] = []  # per function: names that only ever hold plain values

    def hit(self, node: ast.AST, code: str, message: str, safe: str | None = None) -> None:
        """Record a pattern; it is safe when `safe` says so or an enclosing context is safe."""
        reason = safe or next((r for r in reversed(self.safe_stack) if r), None)
        self.hits.append((Finding(self.path, node.lineno, node.col_offset + 1, code, message), reason))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Remember the bases, so a `step` method knows whether it is an optimizer's."""
        self.class_bases.append([dotted(base) for base in node.bases])
        self.generic_visit(node)
        self.class_bases.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        """A function decorated with no_grad, or an optimizer's step, is a safe context."""
        reason = None
        if any(is_no_grad(d) for d in node.decorator_list):
            reason = f"inside @{dotted(next(d for d in node.decorator_list if is_no_grad(d)))}"
        elif node.name == "step" and self.class_bases and any(b.endswith("Optimizer") for b in self.class_bases[-1]):
            reason = "inside an optimizer step: after backward, outside the graph"
        self.safe_stack.append(reason)  # None: not safe, and it hides no outer safe context
        self.plain.append(plain_names(node))
        self.generic_visit(node)
        self.plain.pop()
        self.safe_stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_With(self, node: ast.With) -> None:
        """The body of `with torch.no_grad():` / `torch.inference_mode():` is a safe context."""
        guard = next((item.context_expr for item in node.items if is_no_grad(item.context_expr)), None)
        for item in node.items:
            self.visit(item)
        if guard is not None:
            self.safe_stack.append(f"under {dotted(guard)}()")
        for statement in node.body:
            self.visit(statement)
        if guard is not None:
            self.safe_stack.pop()

    def visit_Call(self, node: ast.Call) -> None:
        """x.add_(...), torch.relu_(x), h.data.add_(...), and any inplace=True argument."""
        if isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method.endswith("_") and not method.endswith("__") and method not in NOT_MUTATING:
                receiver = dotted(node.func.value)
                if receiver.endswith("init") and receiver.rpartition(".")[2] == "init":
                    self.hit(node, "INP001", f"{receiver}.{method}()", "nn.init runs under torch.no_grad()")
                elif through_data(node.func.value):
                    self.hit(node, "INP004", f".data.{method}(): mutation autograd never sees")
                else:
                    self.hit(node, "INP001", f"in-place {method}() on {receiver or 'an expression'}")
        for keyword in node.keywords:
            if keyword.arg == "inplace" and isinstance(keyword.value, ast.Constant) and keyword.value.value is True:
                self.hit(keyword.value, "INP003", f"inplace=True in {dotted(node.func) or 'a call'}()")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        """h += x on what may be a tensor (through .data: INP004)."""
        operator = type(node.op).__name__
        if through_data(node.target):
            self.hit(node, "INP004", f"augmented assignment ({operator}) through .data: autograd never sees it")
        elif not self.is_plain(node.target, node.value):
            self.hit(node, "INP002", f"augmented assignment ({operator}) on {dotted(node.target) or 'a target'}, "
                                     f"in place if it is a tensor")
        self.generic_visit(node)

    def is_plain(self, target: ast.AST, value: ast.AST) -> bool:
        """`n += 1`, `lines += [...]`, or a name that only ever holds plain values: not a tensor update."""
        known_plain = isinstance(target, ast.Name) and self.plain and target.id in self.plain[-1]
        return is_plain_value(value) or known_plain

    def visit_Assign(self, node: ast.Assign) -> None:
        """w.data = v: replaces a tensor's values behind autograd's back."""
        for target in node.targets:
            is_own = isinstance(target, ast.Attribute) and dotted(target.value) == "self"  # a class defining .data
            if isinstance(target, ast.Attribute) and target.attr == "data" and not is_own:
                self.hit(target, "INP004", f"assignment to {dotted(target)}: swaps values behind autograd's back")
        self.generic_visit(node)
