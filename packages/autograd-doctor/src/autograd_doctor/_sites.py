"""Where a call came from, in the user's terms: the op's own frame, the user's frame, a notebook cell by its number.

Two frames matter. The op's frame is the innermost one outside torch and this package: often the user's line,
but inside a library (Lightning's precision plugin, a Hugging Face model) it is the library's. The user's frame
is the innermost one outside torch, this package, the standard library and installed packages. When they
differ, both are named.
"""

import ast
import functools
import linecache
import os
import sys
import sysconfig
import tempfile
from pathlib import Path
from types import FrameType

import torch

TORCH_DIRS = tuple({str(Path(torch.__file__).parent) + os.sep, str(Path(torch.__file__).resolve().parent) + os.sep})
PACKAGE_DIR = str(Path(__file__).resolve().parent) + os.sep
LIBRARY_DIRS = tuple({sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
                      sysconfig.get_paths()["platlib"]})
NOT_OPS = (*TORCH_DIRS, PACKAGE_DIR, "<frozen")
NOT_OURS = (*NOT_OPS, *LIBRARY_DIRS)


@functools.cache
def is_ours(filename: str) -> bool:
    """Whether a frame of this file is the user's: not torch, not this package, not stdlib or site-packages."""
    return not filename.startswith(NOT_OURS)


@functools.cache
def is_op_frame(filename: str) -> bool:
    """Whether a frame of this file can be an op's site: anything outside torch and this package."""
    return not filename.startswith(NOT_OPS)


def frame_site(frame: FrameType) -> str:
    """"train.py:87", or "Cell In[3], line 8" for a notebook cell."""
    return site_text(frame.f_code.co_filename, frame.f_lineno)


def site_text(filename: str, line: int, cwd: str | None = None) -> str:
    """A file and line as the user knows them: relative to the working directory (`cwd`, read when not given),
    or a notebook cell."""
    cell = notebook_cell(filename)
    if cell is not None:
        return f"{cell}, line {line}"
    return f"{relative_to(filename, os.getcwd() if cwd is None else cwd)}:{line}"


def notebook_cell(filename: str) -> str | None:
    """"Cell In[3]" for code IPython compiled from a cell (ipykernel names its file /tmp/ipykernel_<pid>/<hash>.py),
    in IPython's own words (its compiler's `format_code_name`, which its tracebacks use); None elsewhere."""
    if "IPython" not in sys.modules or not filename.startswith(("<ipython-input-", tempfile.gettempdir())):
        return None
    shell = sys.modules["IPython"].get_ipython()
    format_code_name = getattr(getattr(shell, "compile", None), "format_code_name", None)
    named = format_code_name(filename) if format_code_name is not None else None
    return " ".join(named) if named else None


def call_sites(frame: FrameType | None) -> tuple[str, str | None]:
    """(the op's site, the user's site when it is another frame) for the stack above `frame`."""
    op_site = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if op_site is None and is_op_frame(filename):
            op_site = frame_site(frame)
        if is_ours(filename):
            user = frame_site(frame)
            return (op_site, None) if user == op_site else (op_site or user, user)
        frame = frame.f_back
    return op_site or "<unknown>", None


def user_frame(frame: FrameType | None) -> FrameType | None:
    """The innermost frame of the user's own code at or above `frame`."""
    while frame is not None and not is_ours(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def relative(filename: str) -> str:
    """A path relative to the working directory when it is under it, else as given."""
    return relative_to(filename, os.getcwd())


@functools.cache  # every node's traceback repeats the same few files: resolve each once, not per frame
def relative_to(filename: str, directory: str) -> str:
    """`filename` relative to `directory` when it is under it, else as given."""
    try:
        return str(Path(filename).resolve().relative_to(directory))
    except ValueError:
        return filename


def argument_site(frame: FrameType, index: int) -> str | None:
    """Where argument `index` of the call the frame is running starts: for `nn.Sequential(nn.Linear(...),
    nn.ReLU(inplace=True))` written over several lines, the line of the ReLU. Read from the call's own source span
    (`co_positions`); None when that source cannot be read."""
    positions = list(frame.f_code.co_positions())[frame.f_lasti // 2]
    first, last, start, end = positions
    if first is None or last is None or start is None or end is None:
        return None
    lines = linecache.getlines(frame.f_code.co_filename)[first - 1:last]
    if not lines:
        return None
    lines[-1], lines[0] = lines[-1][:end] if len(lines) > 1 else lines[-1], lines[0][start:]
    if len(lines) == 1:
        lines[0] = lines[0][:end - start]
    try:
        call = ast.parse("".join(lines).strip(), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(call, ast.Call) or index >= len(call.args):
        return None
    return site_text(frame.f_code.co_filename, first + call.args[index].lineno - 1)
