"""One public vocabulary, checked: parameter names, their defaults and their numpydoc Parameters sections.

Every public callable is walked: each public name of each subpackage in
``neurocompare._SUBMODULES`` (its ``__all__`` where it has one), the public
methods of public classes, and ``nc.extract``; the CLI's typer commands are
skipped (the CLI has its own flag names). The agreed names live in
``tests/_vocabulary.py``. What is still to be renamed or documented is listed
in :data:`PENDING`; an entry that no longer matches a violation fails too, so
the list stays the to-do list.
"""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
import sys
import types
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _vocabulary as V  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DOC_CODES = ("PR01", "PR02", "GL08")  # not documented, documented but not in the signature, no docstring

#: Known violations, "public.path": {"param" | "docstring": "new name / reason"}. Keep it empty.
PENDING: dict[str, dict[str, str]] = {}

#: Tidy outputs whose stimulus-id column is not yet ``stimulus_id``.
PENDING_COLUMNS: dict[str, str] = {
    "behavior.TRIAL_COLUMNS": "stimulus -> stimulus_id: trial tables are read by datasets.py and the "
                              "cam/saliency fixation loaders, which are being moved",
}


# ---------------------------------------------------------------- walking the public API

def _ours(obj) -> bool:
    return (getattr(obj, "__module__", None) or "").startswith("neurocompare")


def _typer_commands(mod) -> set:
    """The callbacks of every typer command (and group callback) reachable from ``mod``."""
    try:
        import typer
    except ImportError:  # pragma: no cover
        return set()
    seen, out = set(), set()

    def visit(app):
        if id(app) in seen:
            return
        seen.add(id(app))
        if app.registered_callback is not None:
            out.add(app.registered_callback.callback)
        out.update(c.callback for c in app.registered_commands)
        for g in app.registered_groups:
            visit(g.typer_instance)

    for obj in vars(mod).values():
        if isinstance(obj, typer.Typer):
            visit(obj)
        elif isinstance(obj, types.ModuleType) and obj.__name__.startswith(mod.__name__ + "."):
            out |= _typer_commands(obj)
    return out


def _public_names(mod) -> list[str]:
    if hasattr(mod, "__all__"):
        return list(mod.__all__)
    # no __all__: the public names defined in this module or its package (not ones it imports from elsewhere)
    def here(o):
        name = o.__name__ if isinstance(o, types.ModuleType) else getattr(o, "__module__", None) or ""
        return name == mod.__name__ or name.startswith(mod.__name__ + ".")

    return [n for n, o in vars(mod).items() if not n.startswith("_") and here(o)]


def _methods(cls):
    for klass in cls.__mro__:
        if not _ours(klass):
            continue
        for name, attr in vars(klass).items():
            if name.startswith("_"):
                continue
            if isinstance(attr, (staticmethod, classmethod)):
                attr = attr.__func__
            if inspect.isfunction(attr):
                yield name, attr


def public_callables(package=None) -> dict[str, object]:
    """``{"sub.name": obj}`` for every public callable (each object once, under its first public path)."""
    import neurocompare as nc

    package = package or nc
    found: dict[str, object] = {}
    seen: set[int] = set()

    def add(path, obj):
        key = id(getattr(obj, "__func__", obj))
        if key not in seen:
            seen.add(key)
            found[path] = obj

    def walk(mod, prefix, skip):
        for name in _public_names(mod):
            obj = getattr(mod, name)
            path = f"{prefix}{name}"
            if isinstance(obj, types.ModuleType):
                if obj.__name__.startswith(mod.__name__.split(".")[0]) and id(obj) not in seen:
                    seen.add(id(obj))
                    walk(obj, path + ".", skip)
            elif not _ours(obj) or obj in skip:
                continue
            elif inspect.isclass(obj):
                try:
                    inspect.signature(obj)
                except (TypeError, ValueError):  # e.g. exceptions: builtin constructors
                    pass
                else:
                    add(path, obj)
                for mname, meth in _methods(obj):
                    add(f"{path}.{mname}", meth)
            elif callable(obj):
                add(path, obj)

    for top in ("extract", "set_log_level"):
        add(top, getattr(package, top))
    for sub in package._SUBMODULES:
        if sub == "cli":  # the command line has its own vocabulary: flags (tests/cli)
            continue
        mod = importlib.import_module(f"{package.__name__}.{sub}")
        walk(mod, f"{sub}.", set())
    return found


def _params(obj) -> dict[str, inspect.Parameter]:
    sig = inspect.signature(obj)
    return {n: p for n, p in sig.parameters.items() if n not in ("self", "cls")}


# ---------------------------------------------------------------- the checks

def name_violations(callables: dict[str, object]) -> dict[tuple[str, str], str]:
    """``{(path, param): problem}`` for names outside the vocabulary, replaced names, wrong defaults, no progress."""
    out = {}
    for path, obj in callables.items():
        params = _params(obj)
        for name, par in params.items():
            if name in V.REPLACED:
                out[path, name] = f"{name!r} is not used: use {V.REPLACED[name]}"
            elif name not in V.VOCABULARY:
                out[path, name] = f"{name!r} is not in the vocabulary (tests/_vocabulary.py)"
            elif name in V.ONLY_IN and not path.startswith(V.ONLY_IN[name]):
                out[path, name] = f"{name!r} is used only in {V.ONLY_IN[name]}*; see tests/_vocabulary.py"
            elif name in V.DEFAULTS and par.default != V.DEFAULTS[name]:
                out[path, name] = f"default of {name!r} must be {V.DEFAULTS[name]!r}; got {par.default!r}"
        if any(n in params for n in V.LONG_RUNNING) and "progress" not in params:
            out[path, "progress"] = f"takes {[n for n in V.LONG_RUNNING if n in params]}: add progress=True"
    return out


def _doc_attributes(obj) -> set[str]:
    from numpydoc.docscrape import ClassDoc

    names = set()
    for item in ClassDoc(obj, config={"show_class_members": False})["Attributes"]:
        names.update(n.strip() for n in item.name.split(","))
    return names


def doc_violations(callables: dict[str, object]) -> dict[tuple[str, str], str]:
    """``{(path, "docstring"): problem}`` from numpydoc's validator (codes PR01, PR02, GL08)."""
    from numpydoc.validate import get_doc_object, validate

    out = {}
    for path, obj in callables.items():
        errors = [(c, m) for c, m in validate(get_doc_object(obj))["errors"] if c in DOC_CODES]
        if dataclasses.is_dataclass(obj) and errors:
            # a result dataclass documents its fields under Attributes; they are its constructor parameters
            attrs = _doc_attributes(obj)
            missing = set(_params(obj)) - attrs
            errors = [(c, m) for c, m in errors if not (c == "PR01" and not any(f"'{n}'" in m for n in missing))]
        if errors:
            out[path, "docstring"] = "; ".join(f"{c} {m}" for c, m in errors)
    return out


def _report(found: dict) -> list[str]:
    """The violations not in PENDING, one line each."""
    return [f"{path} [{key}]: {msg}" for (path, key), msg in sorted(found.items())
            if key not in PENDING.get(path, {})]


@pytest.fixture(scope="module")
def api():
    return public_callables()


@pytest.fixture(scope="module")
def names(api):
    return name_violations(api)


@pytest.fixture(scope="module")
def docs(api):
    return doc_violations(api)


def test_walk_finds_the_public_api(api):
    import neurocompare as nc

    # the walk reaches every subpackage, methods of public classes and nc.extract, and skips CLI commands
    assert api["extract"] is nc.extract
    assert api["rsa.compute_rdm"] is nc.rsa.compute_rdm
    assert "stimuli.StimulusSet.subset" in api
    assert "transfer.TransferResult.summary" in api
    assert not any(p.startswith("cli.") and p != "cli.main" for p in api)
    assert {p.split(".")[0] for p in api} >= set(nc._SUBMODULES) - {"cli"}
    assert len(api) > 150


def test_parameter_names_are_in_the_vocabulary(names):
    bad = _report(names)
    assert not bad, "Parameter names outside the agreed vocabulary:\n" + "\n".join(bad)


def test_public_callables_have_matching_parameters_sections(docs):
    bad = _report(docs)
    assert not bad, "numpydoc Parameters sections that do not match the signature:\n" + "\n".join(bad)


def test_pending_lists_only_current_violations(names, docs):
    found = set(names) | set(docs)
    stale = [f"{path} [{key}]" for path, keys in PENDING.items() for key in keys if (path, key) not in found]
    assert not stale, "PENDING entries that no longer match a violation (remove them):\n" + "\n".join(stale)


def test_vocabulary_has_no_replaced_names_and_every_name_has_a_meaning():
    assert not set(V.VOCABULARY) & set(V.REPLACED)
    assert all(V.VOCABULARY[n].strip() for n in V.VOCABULARY)
    assert set(V.REPLACED.values()) and all(isinstance(v, str) for v in V.REPLACED.values())
    assert V.DEFAULTS == {"device": "auto", "progress": True}
    assert set(V.ONLY_IN) <= set(V.VOCABULARY)


def test_docs_table_is_generated_from_the_vocabulary():
    text = (REPO / "docs" / "architecture.md").read_text()
    m = re.search(r"<!-- vocabulary:start -->\n(.*?)<!-- vocabulary:end -->", text, re.S)
    assert m, "docs/architecture.md lost its vocabulary block"
    assert m.group(1) == V.markdown(), "regenerate the block with: python tests/_vocabulary.py"


def test_stimulus_id_is_the_id_column(small_set):
    import neurocompare as nc

    assert small_set.metadata.index.name == "stimulus_id"
    assert "stimulus_id" in inspect.signature(nc.plotting.plot_predictions).parameters
    cols = nc.behavior.TRIAL_COLUMNS
    if "behavior.TRIAL_COLUMNS" in PENDING_COLUMNS:
        assert "stimulus" in cols and "stimulus_id" not in cols  # still pending: the entry is current
    else:
        assert "stimulus_id" in cols


# ---------------------------------------------------------------- the guards catch what they should

def _synthetic(seed: int = 0, *, colour: str = "red", alpha: float = 1.0, device: str = "cpu", epochs: int = 1):
    """A function with stray names.

    Parameters
    ----------
    seed : int
        A seed.
    colour : str
        A colour.
    """


def _documented(x, *, random_state=0):
    """A function whose docstring names a parameter it does not take.

    Parameters
    ----------
    x : float
        Input.
    n_boot : int
        Not in the signature.
    """


def _undocumented(x):
    pass


def test_guards_catch_stray_names_and_defaults():
    found = name_violations({"rsa._synthetic": _synthetic})
    assert set(found) == {("rsa._synthetic", k) for k in ("seed", "colour", "alpha", "device", "progress")}
    assert "random_state" in found["rsa._synthetic", "seed"]
    assert "color_by" in found["rsa._synthetic", "colour"]
    assert "plotting." in found["rsa._synthetic", "alpha"]
    assert "'auto'" in found["rsa._synthetic", "device"]
    # alpha is fine in plotting, a new name is not fine anywhere
    assert ("plotting._synthetic", "alpha") not in name_violations({"plotting._synthetic": _synthetic})

    def _new(x, *, wibble=1):
        pass

    assert "not in the vocabulary" in name_violations({"rsa._new": _new})["rsa._new", "wibble"]


def test_guards_catch_missing_and_unknown_parameters():
    found = doc_violations({"a": _synthetic, "b": _documented, "c": _undocumented})
    assert "PR01" in found["a", "docstring"] and "'alpha'" in found["a", "docstring"]
    assert "PR02" in found["b", "docstring"] and "n_boot" in found["b", "docstring"]
    assert "PR01" in found["b", "docstring"] and "random_state" in found["b", "docstring"]
    assert "GL08" in found["c", "docstring"]
    assert ("a", "docstring") in found and len(found) == 3
