"""Reading and checking a study file: every problem at once, each with its TOML path."""
from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path

from .schema import HUMAN_KINDS, Study

BUILTIN = ("smallcnn", "twostreamnet", "onestreamnet", "unet")


class StudyError(ValueError):
    """A study file that cannot run, with every problem found.

    Parameters
    ----------
    path : path-like
        The study file.
    problems : list of (str, str)
        ``(toml_path, message)`` for each problem; ``toml_path`` is empty for the whole file.
    """

    def __init__(self, path, problems: list[tuple[str, str]]):
        self.path, self.problems = str(path), list(problems)
        n = len(self.problems)
        lines = [f"{loc}: {msg}" if loc else msg for loc, msg in self.problems]
        super().__init__(f"The study file {self.path!r} has {n} problem{'s' if n != 1 else ''}:\n  - "
                         + "\n  - ".join(lines))


@dataclass
class StudyFile:
    """A validated study: the parsed config and its file (relative paths resolve beside it).

    Attributes
    ----------
    config : Study
        The parsed, validated study file.
    path : pathlib.Path
        The study file (absolute).
    """

    config: Study
    path: Path

    @property
    def folder(self) -> Path:
        """The folder of the study file: relative paths in it resolve there."""
        return self.path.parent

    def resolve(self, value: str) -> Path:
        """A path from the study file, relative to the file's folder.

        Parameters
        ----------
        value : str
            The path as written in the study file.

        Returns
        -------
        pathlib.Path
        """
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.folder / p


def read_study(path, *, check_names: bool = True) -> StudyFile:
    """Read and validate a study file (TOML).

    Parameters
    ----------
    path : path-like
        The study file.
    check_names : bool
        Also check what the schema cannot: that names refer to defined stimulus sets,
        models and human data, that model names and layers exist, that files exist and
        CSV files have the columns named.

    Returns
    -------
    StudyFile

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    StudyError
        Every problem found, each with its TOML path, what was expected and what was
        given, and close matches for unknown keys and names.
    """
    from pydantic import ValidationError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"The study file {str(path)!r} does not exist.")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise StudyError(path, [("", f"not valid TOML: {err}")]) from None
    except UnicodeDecodeError:
        raise StudyError(path, [("", "not a text file (expected UTF-8 TOML)")]) from None
    try:
        config = Study.model_validate(raw)
    except ValidationError as err:
        raise StudyError(path, [_describe(e) for e in err.errors(include_url=False)]) from None
    study = StudyFile(config, path.resolve())
    if check_names:
        problems = check_study(study)
        if problems:
            raise StudyError(path, problems)
    return study


# -- schema errors, in the study file's words ------------------------------------------------------------------
def _describe(err: dict) -> tuple[str, str]:
    loc = [str(p) for p in err["loc"]]
    if len(loc) >= 3 and loc[0] == "human" and loc[2] in HUMAN_KINDS:
        loc.pop(2)  # the discriminator's tag is not part of the file
    where = ".".join(loc)
    kind, got = err["type"], err.get("input")
    if kind == "extra_forbidden":
        allowed = _fields_at(loc[:-1])
        msg = f"unknown key {loc[-1]!r}"
        close = difflib.get_close_matches(loc[-1], allowed, n=3, cutoff=0.6)
        if close:
            msg += f"; did you mean {', '.join(repr(c) for c in close)}?"
        elif allowed:
            msg += f"; expected one of {', '.join(repr(a) for a in allowed)}"
        return where, msg
    if kind == "missing":
        return where, "missing (required)"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        msg = f"expected {expected}; got {got!r}"
        options = [o.strip(" '") for o in expected.replace(" or ", ", ").split(",")]
        close = difflib.get_close_matches(str(got), options, n=1, cutoff=0.5) if isinstance(got, str) else []
        if close:
            msg += f". Did you mean {close[0]!r}?"
        return where, msg
    if kind == "value_error":
        return where, err["msg"].removeprefix("Value error, ")
    if kind == "human_kind":
        keys = sorted(got) if isinstance(got, dict) else got
        return where, f"{err['msg']}; got the keys {keys}"
    msg = err["msg"][0].lower() + err["msg"][1:]
    return where, f"{msg}; got {got!r} ({_toml_type(got)})"


def _toml_type(value) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
            dict: "a table"}.get(type(value), type(value).__name__)


def _fields_at(loc: list[str]) -> list[str]:
    """The keys allowed in the table at ``loc`` (for close matches)."""
    from pydantic import BaseModel

    model: typing.Any = Study
    i = 0
    while i < len(loc):
        field = model.model_fields.get(loc[i]) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return []
        ann = _unwrap(field.annotation)
        if typing.get_origin(ann) is dict:
            ann = _unwrap(typing.get_args(ann)[1])
            i += 1  # the entry's own name
            if loc[0] == "human" and i + 1 <= len(loc):
                return sorted({k for m in HUMAN_KINDS.values() for k in m.model_fields})
        model = ann
        i += 1
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _unwrap(ann):
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            ann = typing.get_args(ann)[0]
        elif origin is typing.Union or origin is types.UnionType:
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(args) != 1:
                return ann
            ann = args[0]
        else:
            return ann


# -- names, files and columns ----------------------------------------------------------------------------------
def _close(name: str, names) -> str:
    close = difflib.get_close_matches(name, list(names), n=3, cutoff=0.5)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def check_study(study: StudyFile) -> list[tuple[str, str]]:
    """What the schema cannot check: references between sections, names, files, columns."""
    cfg, problems = study.config, []
    sets, models, human = list(cfg.stimuli), list(cfg.models), list(cfg.human)

    def ref(loc, name, names, what):
        if name not in names:
            problems.append((loc, f"{name!r} is not a {what} of this study (defined: {names}).{_close(name, names)}"))

    factors = {}
    for name, entry in cfg.stimuli.items():
        if entry.path is not None:
            folder = study.resolve(entry.path)
            if not folder.is_dir():
                problems.append((f"stimuli.{name}.path", f"the folder {str(folder)!r} does not exist"))
                continue
            try:
                from ..stimuli import load

                st = load(folder, validate=False)
                factors[name] = [c for c in st.metadata.columns if c not in ("file", "mask_file")]
            except (ValueError, OSError) as err:
                problems.append((f"stimuli.{name}.path", str(err)))
        elif entry.spec is not None:
            from ..stimuli import list_specs

            specs = list_specs()
            if entry.spec not in specs and not study.resolve(entry.spec).is_file():
                problems.append((f"stimuli.{name}.spec", f"unknown stimulus spec {entry.spec!r}; shipped specs: "
                                                         f"{specs}.{_close(entry.spec, specs)}"))
    for name, entry in cfg.models.items():
        loc = f"models.{name}"
        if entry.train_on is not None:
            ref(f"{loc}.train_on", entry.train_on, sets, "stimulus set")
            if entry.model not in BUILTIN:
                problems.append((f"{loc}.train_on", f"only the built-in nets {list(BUILTIN)} are trained by a study; "
                                                    f"{entry.model!r} is not one"))
        if entry.weights not in (None, "DEFAULT") and not study.resolve(entry.weights).is_file():
            problems.append((f"{loc}.weights", f"expected 'DEFAULT' or a weights file; the file "
                                               f"{str(study.resolve(entry.weights))!r} does not exist"))
        problems += _check_model(study, loc, entry)
    for name, entry in cfg.human.items():
        loc = f"human.{name}"
        ref(f"{loc}.stimuli", entry.stimuli, sets, "stimulus set")
        problems += _check_human_file(study, loc, entry)
    for aname in ("probes", "rsa", "decoding", "cam", "behavior", "transfer", "generation"):
        a = getattr(cfg.analyses, aname)
        if a is None:
            continue
        if a.stimuli is not None:
            ref(f"analyses.{aname}.stimuli", a.stimuli, sets, "stimulus set")
        for m in a.models or []:
            ref(f"analyses.{aname}.models", m, models, "model")
    if cfg.analyses.rsa is not None:
        target = cfg.analyses.rsa.stimuli or sets[0]
        known = factors.get(target)
        for r in cfg.analyses.rsa.references:
            if r in human:
                if cfg.human[r].stimuli != target:
                    problems.append(("analyses.rsa.references", f"the human data {r!r} are about the stimulus set "
                                     f"{cfg.human[r].stimuli!r}, but RSA runs on {target!r}"))
            elif known is not None and r not in known:
                problems.append(("analyses.rsa.references",
                                 f"{r!r} is neither a [human] entry ({human}) nor a factor of the stimulus set "
                                 f"{target!r} ({known}).{_close(r, human + known)}"))
    b = cfg.analyses.behavior
    if b is not None:
        ref("analyses.behavior.trials", b.trials, human, "[human] entry")
        if b.trials in cfg.human and not hasattr(cfg.human[b.trials], "trials") and \
                getattr(cfg.human[b.trials], "dataset", None) != "geirhos2019":
            problems.append(("analyses.behavior.trials", f"{b.trials!r} holds no trials (it is "
                                                         f"{type(cfg.human[b.trials]).__name__}); behaviour needs "
                                                         "trials = \"file.csv\" or dataset = \"geirhos2019\""))
    g = cfg.analyses.generation
    if g is not None:
        ref("analyses.generation.labeler", g.labeler, models, "model")
        overlap = sorted(set(g.factors) & set(g.lock))
        if overlap:
            problems.append(("analyses.generation.lock", f"{overlap} cannot be both a factor and locked"))
    if cfg.analyses.decoding is not None:
        known = factors.get(cfg.analyses.decoding.stimuli or sets[0])
        for t in cfg.analyses.decoding.targets:
            if known is not None and t not in known:
                problems.append(("analyses.decoding.targets", f"{t!r} is not a factor of the stimulus set "
                                                               f"({known}).{_close(t, known)}"))
    return problems


def _check_model(study, loc, entry) -> list[tuple[str, str]]:
    if "resize" in entry.options:
        from ..models.resizing import check_resize

        try:
            check_resize(entry.options["resize"], param="resize")
        except (TypeError, ValueError) as err:
            return [(f"{loc}.options.resize", f"{err} In the study file: resize = [height, width], e.g. "
                                              "resize = [224, 224].")]
    from ..models import list_models

    name = entry.model
    known = list(list_models()["name"])
    path = study.resolve(name)
    sourced = isinstance(name, str) and ":" in name and not path.is_file()
    if sourced:  # "timm:...", "openclip:...", "hf:...": the source checks the name when it loads
        from ..models.sources import split_name

        try:
            split_name(name)
        except (KeyError, ValueError) as err:
            return [(f"{loc}.model", str(err))]
        known = known + [name]
    if name not in known and not path.is_file():
        try:
            import torchvision

            known_tv = torchvision.models.list_models()
        except Exception:  # noqa: BLE001 - only for close matches
            known_tv = []
        if name not in known_tv:
            return [(f"{loc}.model", f"unknown model {name!r}: expected a name of `neurocompare models list` (or any "
                                     f"torchvision model), or an existing checkpoint file.{_close(name, known + known_tv)}")]
    if isinstance(entry.layers, list) and name in known + (["builtin"] if path.is_file() else []):
        try:
            from ..models import load

            layers = load(name, **entry.options).layers
        except (ValueError, TypeError, KeyError, RuntimeError, ImportError, OSError) as err:
            return [(f"{loc}.model" if sourced else f"{loc}.options", str(err))]
        return [(f"{loc}.layers", f"unknown layer {layer!r} of {name!r}.{_close(layer, layers)} See "
                                  f"`neurocompare models layers {name} --all`.")
                for layer in entry.layers if layer not in layers]
    return []


def _check_human_file(study, loc, entry) -> list[tuple[str, str]]:
    key = next(k for k in HUMAN_KINDS if hasattr(entry, k) and k != "stimuli" and
               isinstance(HUMAN_KINDS[k], type) and isinstance(entry, HUMAN_KINDS[k]))
    if key == "dataset":
        return []
    f = study.resolve(getattr(entry, key))
    if not f.is_file():
        return [(f"{loc}.{key}", f"the file {str(f)!r} does not exist")]
    if key == "rdms":
        return []
    if key == "trials":
        return []  # load_trials knows the formats and names missing columns itself
    import pandas as pd

    try:
        header = list(pd.read_csv(f, nrows=0).columns)
    except (ValueError, OSError, UnicodeDecodeError) as err:
        return [(f"{loc}.{key}", f"{str(f)!r} is not a readable CSV file ({err})")]
    columns = {k: v for k, v in entry.model_dump().items()
               if k not in ("stimuli", key, "kind", "scale") and isinstance(v, str)}
    return [(f"{loc}.{k}", f"the column {v!r} is not in {f.name} (its columns: {header}).{_close(v, header)}")
            for k, v in columns.items() if v not in header]
