"""Docstrings: every public function, class and method documents itself and its parameters.

The public API is what each public module lists in ``__all__`` (functions, classes,
submodules), and the public methods and properties of each public class defined in
dcmfast (inherited from a dcmfast base class included; what comes from ``object``,
``Exception``, pydicom or the standard library is not ours to document).

Each must have a docstring. A callable with parameters must have a numpydoc
``Parameters`` section naming every parameter of its signature (``inspect.signature``;
``*args`` and ``**kwargs`` as such), and naming nothing that is not a parameter. A class's
constructor parameters are documented in the class docstring or in ``__init__``'s.
Every public module's own docstring must exist too (``help()`` and ``pydoc`` show it).

numpydoc's own validator needs Sphinx, so the ``Parameters`` section is parsed here: the
section starts at a ``Parameters`` line underlined with dashes and ends at the next
underlined heading; its entries are the lines at the section's indentation, of the form
``name : type`` or ``name`` (several names may share one entry: ``a, b : int``).
"""
from __future__ import annotations

import importlib
import inspect
import re
import types

import pytest

#: Modules whose ``__all__`` is the public API (the subpackages' modules are walked through them).
PUBLIC_MODULES = [
    "dcmfast",
    "dcmfast.charset",
    "dcmfast.config",
    "dcmfast.dask",
    "dcmfast.dataelem",
    "dcmfast.datadict",
    "dcmfast.dataset",
    "dcmfast.deid",
    "dcmfast.errors",
    "dcmfast.filewriter",
    "dcmfast.ingest",
    "dcmfast.jsonrep",
    "dcmfast.pixels",
    "dcmfast.reader",
    "dcmfast.sequence",
    "dcmfast.tag",
    "dcmfast.uid",
    "dcmfast.valuerep",
    "dcmfast.volume",
]

_SKIP_PARAMS = {"self", "cls"}
_HEADING = re.compile(r"^(\s*)([A-Z][A-Za-z ]+)\n\1-{3,}\s*$", re.M)


def _own(obj: object) -> bool:
    return (getattr(obj, "__module__", None) or "").startswith("dcmfast")


def _section(doc: str, title: str) -> str | None:
    """The body of numpydoc section `title` in the (cleaned) docstring `doc`, or None."""
    headings = list(_HEADING.finditer(doc))
    for i, m in enumerate(headings):
        if m[2].strip() == title:
            end = headings[i + 1].start() if i + 1 < len(headings) else len(doc)
            return doc[m.end():end]
    return None


def documented_parameters(doc: str, title: str = "Parameters") -> list[str] | None:
    """The names a numpydoc docstring's section `title` lists (None: no such section)."""
    body = _section(doc, title)
    if body is None:
        return None
    lines = [line for line in body.splitlines() if line.strip()]
    if not lines:
        return []
    indent = min(len(line) - len(line.lstrip()) for line in lines)
    names = []
    for line in lines:
        if len(line) - len(line.lstrip()) == indent:
            for name in line.split(" : ")[0].split(","):
                names.append(name.strip())
    return names


def _signature_names(func: object, method: bool = False) -> list[str] | None:
    try:
        sig = inspect.signature(func)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    names = []
    for p in sig.parameters.values():
        if (method and p.name in _SKIP_PARAMS) or p.name.startswith("_"):
            continue  # (a leading underscore: private, for tests and internal callers)
        if p.kind is p.VAR_POSITIONAL:
            names.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            names.append(f"**{p.name}")
        else:
            names.append(p.name)
    return names


def _embedded_signature_names(cls: type) -> list[str] | None:
    """The parameters of the signature Cython puts first in a compiled class's docstring
    (``Name(a, int b=0, *, c=None)``), without their C types."""
    first = (cls.__doc__ or "").partition("\n")[0].strip()
    m = re.fullmatch(rf"{re.escape(cls.__name__)}\((.*)\)", first)
    if not m:
        return None
    names = []
    for part in m[1].split(","):
        part = part.split("=")[0].strip()
        if part and part not in ("*", "/"):
            name = part.split()[-1]
            if not name.lstrip("*").startswith("_"):
                names.append(name)
    return names


def _check_parameters(where: str, doc: str, names: list[str] | None) -> list[str]:
    problems: list[str] = []
    if names is None:
        return problems
    listed = documented_parameters(doc)
    if listed is None:
        if names:
            problems.append(f"{where}: no Parameters section (parameters: {', '.join(names)})")
        return problems
    missing = [n for n in names if n not in listed and n.lstrip("*") not in listed]
    extra = [n for n in listed if n not in names and f"*{n}" not in names and f"**{n}" not in names]
    if missing:
        problems.append(f"{where}: Parameters does not name {', '.join(missing)}")
    if extra:
        problems.append(f"{where}: Parameters names {', '.join(extra)}, not in the signature")
    return problems


def _doc(obj: object) -> str:
    return inspect.cleandoc(obj.__doc__) if isinstance(getattr(obj, "__doc__", None), str) else ""


def _class_members(cls: type) -> dict[str, tuple[type, object]]:
    """Public attributes of `cls` defined by dcmfast classes in its MRO: name -> (owner, raw)."""
    members: dict[str, tuple[type, object]] = {}
    for owner in reversed(cls.__mro__):
        if not _own(owner):
            continue
        for name, raw in vars(owner).items():
            if name.startswith("_"):
                continue
            members[name] = (owner, raw)
    return members


def _without_signature(name: str, doc: str) -> str:
    """`doc` without the signature line Cython (embedsignature) and dataclasses put first."""
    first, _, rest = doc.partition("\n")
    if first.startswith(f"{name}(") and first.rstrip().endswith(("):", ")")) or \
            re.match(rf"{re.escape(name)}\(.*\)( -> .*)?$", first):
        return inspect.cleandoc(rest) if rest.strip() else ""
    return doc


def check_class(qualname: str, cls: type, public: frozenset[type] = frozenset()) -> list[str]:
    """Problems of `cls`'s docstrings; members owned by another class of `public` are left to it."""
    problems: list[str] = []
    doc = _without_signature(cls.__name__, _doc(cls)) if "__doc__" in vars(cls) else ""
    if not doc.strip():
        problems.append(f"{qualname}: no docstring")
    init = None
    for owner in cls.__mro__:
        if "__init__" in vars(owner) or "__new__" in vars(owner):
            init = owner
            break
    if init is not None and _own(init):
        # a compiled class: the signature Cython embeds (inspect sees its base's or none)
        names = _embedded_signature_names(cls) or _signature_names(cls, method=True)
        init_doc = _doc(vars(init).get("__init__")) if "__init__" in vars(init) else ""
        if documented_parameters(init_doc) is not None and documented_parameters(doc) is None:
            problems += _check_parameters(qualname, init_doc, names)
        elif documented_parameters(doc) is None and documented_parameters(doc, "Attributes") is not None:
            # a dataclass or named tuple: its fields are its Attributes (which may say more)
            as_parameters = doc.replace("Attributes\n---", "Parameters\n---")
            problems += [p for p in _check_parameters(qualname, as_parameters, names)
                         if "not in the signature" not in p]
        else:
            problems += _check_parameters(qualname, doc, names)
    attributes = set(documented_parameters(doc, "Attributes") or ())
    for name, (owner, raw) in sorted(_class_members(cls).items()):
        if owner is not cls and owner in public:
            continue
        where = f"{qualname}.{name}"
        if isinstance(raw, (classmethod, staticmethod)):
            func: object = raw.__func__
        else:
            func = raw
        if isinstance(raw, property) or type(raw).__name__ in ("getset_descriptor", "member_descriptor",
                                                                "_tuplegetter"):
            rdoc = _doc(raw)
            if name not in attributes and (not rdoc.strip() or rdoc.startswith("Alias for field number")):
                problems.append(f"{where}: no docstring (nor a line in the class's Attributes)")
            continue
        if not callable(func) or isinstance(func, type):
            continue  # class constants, nested classes (checked where they are public)
        fdoc = _doc(func)
        if not fdoc.strip():
            problems.append(f"{where}: no docstring")
            continue
        problems += _check_parameters(where, fdoc, _signature_names(getattr(cls, name), method=True))
    return problems


def check_function(qualname: str, func: object) -> list[str]:
    doc = _doc(func)
    if not doc.strip():
        return [f"{qualname}: no docstring"]
    return _check_parameters(qualname, doc, _signature_names(func))


def public_objects() -> list[tuple[str, object]]:
    seen: set[int] = set()
    found = []
    for modname in PUBLIC_MODULES:
        mod = importlib.import_module(modname)
        found.append((modname, mod))
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name)
            if id(obj) in seen or not (isinstance(obj, (type, types.ModuleType)) or callable(obj)):
                continue
            if not isinstance(obj, types.ModuleType) and not _own(obj):
                continue  # re-exported from elsewhere (pydicom's, the standard library's)
            seen.add(id(obj))
            found.append((f"{modname}.{name}", obj))
    return found


def check(qualname: str, obj: object) -> list[str]:
    if isinstance(obj, types.ModuleType):
        lines = _doc(obj).strip().splitlines()
        if not lines:
            return [f"{qualname}: module without a docstring"]
        if len(lines) > 1 and lines[1].strip():  # pydoc shows the first line as the module's NAME
            return [f"{qualname}: the module docstring does not start with a one-line summary"]
        return []
    if isinstance(obj, type):
        public = frozenset(o for _, o in public_objects() if isinstance(o, type))
        return check_class(qualname, obj, public)
    return check_function(qualname, obj)


def test_the_public_api_is_found():
    names = {q for q, _ in public_objects()}
    for q in ("dcmfast.dcmread", "dcmfast.Dataset", "dcmfast.DataElement", "dcmfast.pixels.rle_encode",
              "dcmfast.deid.Deidentifier", "dcmfast.ingest.read_many", "dcmfast.volume.read_series",
              "dcmfast.dask.read_index", "dcmfast.uid.generate_uid", "dcmfast.jsonrep.dataset_from_json",
              "dcmfast.InvalidDicomError", "dcmfast.errors.PixelDataError", "dcmfast.dcmwrite",
              "dcmfast.config.Settings"):
        assert q in names, q
    members = _class_members(importlib.import_module("dcmfast").Dataset)
    assert {"get", "save_as", "pixel_array", "iterall", "to_json"} <= set(members)


@pytest.mark.parametrize("qualname, obj", public_objects(), ids=lambda v: v if isinstance(v, str) else "")
def test_docstring(qualname, obj):
    problems = check(qualname, obj)
    assert not problems, "\n".join(problems)


def _examples() -> list[tuple[str, object]]:
    """Every doctest in the docstrings of the public API (an Examples section), once."""
    import doctest

    finder = doctest.DocTestFinder(recurse=False)
    tests, seen = [], set()
    for qualname, obj in public_objects():
        objs = [(qualname, obj)]
        if isinstance(obj, type):
            objs += [(f"{qualname}.{name}", getattr(raw, "__func__", raw))
                     for name, (_owner, raw) in _class_members(obj).items()
                     if callable(raw) or isinstance(raw, property)]  # (not an int's docstring)
        for name, o in objs:
            for test in finder.find(o, name, module=False, globs={}):
                if test.examples and test.docstring not in seen:
                    seen.add(test.docstring)
                    tests.append((name, test))
    return tests


@pytest.mark.parametrize("qualname, test", _examples(), ids=lambda v: v if isinstance(v, str) else "")
def test_examples_run(qualname, test, tmp_path, monkeypatch):
    """The Examples sections are run (they need pydicom-data's files), so they cannot rot."""
    import doctest

    pytest.importorskip("pydicom.data")
    monkeypatch.chdir(tmp_path)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    result = runner.run(test, out=out.append)
    assert result.failed == 0, "".join(out)


def test_examples_are_found():
    names = {q for q, _ in _examples()}
    assert {"dcmfast.dcmread", "dcmfast.Dataset", "dcmfast.DataElement", "dcmfast.pixels.pixel_array",
            "dcmfast.deid.Deidentifier"} <= names, names


def test_checker_finds_problems():
    """The checks themselves: a missing docstring, a missing or unknown parameter."""

    def undocumented(a, b=1):
        pass

    def partial(a, b=1, *args, **kwargs):
        """Summary.

        Parameters
        ----------
        a : int
            The first.
        c : int
            Not a parameter.
        *args
            More.
        """

    def complete(a, b=1, **kwargs):
        """Summary.

        Parameters
        ----------
        a, b : int
            The two.
        **kwargs
            Options.

        Returns
        -------
        None
        """

    assert check_function("f", undocumented) == ["f: no docstring"]
    assert check_function("f", partial) == ["f: Parameters does not name b, **kwargs",
                                            "f: Parameters names c, not in the signature"]
    assert check_function("f", complete) == []
