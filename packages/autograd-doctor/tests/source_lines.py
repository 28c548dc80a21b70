"""Where a line of a test's own source is, as the doctor names it: "path:line" relative to the working directory."""

import inspect
import os
from pathlib import Path


def path_as_named(function) -> str:
    """The file of `function` as the doctor prints it: relative to the working directory when under it."""
    return file_as_named(inspect.getsourcefile(function))


def file_as_named(filename: str) -> str:
    """A file as the doctor prints it: relative to the working directory when under it."""
    path = Path(filename).resolve()
    try:
        return str(path.relative_to(Path(os.getcwd()).resolve()))
    except ValueError:
        return str(path)


def sites_of(function, needle: str) -> set[str]:
    """"path:N" for every line of `function` that contains `needle`."""
    lines, first = inspect.getsourcelines(function)
    return {f"{path_as_named(function)}:{first + k}" for k, line in enumerate(lines) if needle in line}


def site_of(function, needle: str) -> str:
    """"path:N" of the one line of `function` that contains `needle`."""
    [site] = sites_of(function, needle)
    return site
