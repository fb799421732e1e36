"""Trial tables: loading the common exports into one standard format, checking and matching them."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

#: The standard columns, in order. Extra columns of the source are kept after them.
TRIAL_COLUMNS = ("subject", "stimulus", "response", "category", "correct", "rt", "condition", "session", "trial")
REQUIRED = ("subject", "stimulus", "response", "category")
FORMATS = ("auto", "standard", "geirhos", "psychopy", "jspsych")
_GEIRHOS = ("subj", "session", "trial", "rt", "object_response", "category", "condition", "imagename")


def _stem(name: str) -> str:
    """The stimulus name of a Geirhos/model-vs-human ``imagename``: its last ``_`` token without extension."""
    token = str(name).replace("\\", "/").rsplit("/", 1)[-1].rsplit("_", 1)[-1]
    return re.sub(r"\.(png|jpe?g|bmp|gif|tiff?|webp)$", "", token, flags=re.IGNORECASE)


def _read(path_or_df):
    import pandas as pd

    if isinstance(path_or_df, pd.DataFrame):
        return path_or_df.copy(), "the DataFrame"
    if isinstance(path_or_df, (list, tuple)):
        if not path_or_df:
            raise ValueError("Invalid value for 'path_or_df': expected a CSV file, a folder of CSV files, a list "
                             "of them or a DataFrame; got an empty list.")
        if len(path_or_df) == 1:
            return _read(path_or_df[0])
        frames = [_read(p)[0] for p in path_or_df]
        return pd.concat(frames, ignore_index=True), f"{len(frames)} tables"
    if not isinstance(path_or_df, (str, Path)):
        raise TypeError(f"Invalid value for 'path_or_df': expected a path, a list of paths or a DataFrame; got "
                        f"{type(path_or_df).__name__}.")
    path = Path(path_or_df)
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise FileNotFoundError(f"Invalid value for 'path_or_df': the folder {str(path)!r} holds no *.csv files.")
        return pd.concat([_read(f)[0] for f in files], ignore_index=True), f"{len(files)} CSV files in {str(path)!r}"
    if not path.is_file():
        raise FileNotFoundError(f"Invalid value for 'path_or_df': {str(path)!r} does not exist.")
    from .._utils.tables import read_csv_table

    df = read_csv_table(path, what="The trial table", keep_default_na=False, na_values=["", "NaN", "nan", "NA"])
    return df, repr(str(path))


def _detect(df) -> str:
    cols = set(df.columns)
    if set(_GEIRHOS) <= cols:
        return "geirhos"
    if {"trial_index", "trial_type"} <= cols or {"trial_index", "time_elapsed"} <= cols:
        return "jspsych"
    if "participant" in cols or any(c.endswith((".keys", ".thisN", ".thisTrialN")) for c in cols):
        return "psychopy"
    return "standard"


def _first(cols, *candidates, suffix: tuple[str, ...] = ()) -> str | None:
    for c in candidates:
        if c in cols:
            return c
    for c in cols:
        if suffix and c.endswith(suffix):
            return c
    return None


def _auto_columns(df, fmt: str) -> tuple[dict, dict]:
    """``{standard: source column}`` for a format, plus transforms (``{"rt_scale": 0.001}``...)."""
    cols = list(df.columns)
    extra = {}
    if fmt == "geirhos":
        return ({"subject": "subj", "stimulus": "imagename", "response": "object_response", "category": "category",
                 "rt": "rt", "condition": "condition", "session": "session", "trial": "trial"},
                {"stimulus_from_imagename": True})
    if fmt == "jspsych":
        extra["rt_scale"] = 0.001  # jsPsych records milliseconds
        return ({"subject": _first(cols, "subject", "subject_id", "participant", "run_id", "PROLIFIC_PID"),
                 "stimulus": _first(cols, "stimulus", "image", "stim"),
                 "response": _first(cols, "response", "button_pressed", "key_press"),
                 "category": _first(cols, "category", "correct_response", "target"),
                 "correct": _first(cols, "correct"), "rt": _first(cols, "rt"),
                 "condition": _first(cols, "condition"), "session": _first(cols, "session"),
                 "trial": _first(cols, "trial_index")}, extra)
    if fmt == "psychopy":
        return ({"subject": _first(cols, "participant", "subject"),
                 "stimulus": _first(cols, "stimulus", "image", "stim_file", "imageFile", "file"),
                 "response": _first(cols, "response", suffix=(".keys",)),
                 "category": _first(cols, "category", "corrAns", "target"),
                 "correct": _first(cols, "correct", suffix=(".corr",)),
                 "rt": _first(cols, "rt", suffix=(".rt",)), "condition": _first(cols, "condition"),
                 "session": _first(cols, "session"), "trial": _first(cols, "trial", suffix=(".thisN", ".thisTrialN"))},
                extra)
    return {c: c for c in TRIAL_COLUMNS if c in cols}, extra


def load_trials(path_or_df, *, columns: dict | None = None, format: str = "auto", categories=None,
                no_response=("na", "none", "timeout"), subject: str | None = None, keep_extra: bool = True):
    """Read a trial-level table into the standard trial format.

    The standard columns are ``subject, stimulus, response, category, correct,
    rt, condition, session, trial`` (one row per trial). ``response`` is NaN
    for trials without an answer (such trials count as errors). ``rt`` is in
    seconds and may be NaN (model rows have none).

    Parameters
    ----------
    path_or_df : path-like, list of paths, or pandas.DataFrame
        A CSV file, a folder (every ``*.csv`` in it, concatenated), a list of
        files, or a DataFrame (never modified).
    columns : dict, optional
        ``{standard name: column of the source}``, e.g. ``{"subject":
        "participant", "response": "key_resp.keys"}``. Applied on top of what
        the format detects; it covers any other export.
    format : {"auto", "standard", "geirhos", "psychopy", "jspsych"}
        ``"geirhos"``: the model-vs-human / Geirhos et al. format
        ``subj,session,trial,rt,object_response,category,condition,imagename``;
        the stimulus is the last ``_``-separated token of ``imagename`` without
        its extension (``0001_edg_s01_0_oven_00_oven10.png`` -> ``oven10``).
        ``"psychopy"``: ``participant``, ``*.keys``, ``*.rt``, ``*.corr``,
        ``trials.thisN``. ``"jspsych"``: ``trial_index``, ``stimulus``,
        ``response``, ``rt`` in milliseconds (converted to seconds); rows
        without a stimulus (instructions) are dropped. ``"auto"`` recognises
        them by their columns.
    categories : sequence of str, optional
        The response categories of the experiment. Default: the values of
        ``category``. Any response outside them is an error.
    no_response : sequence of str
        Response values that mean "no answer" (case-insensitive); they become NaN.
    subject : str, optional
        The subject name when the table has no subject column (one file per person).
    keep_extra : bool
        Keep the source's other columns after the standard ones.

    Returns
    -------
    pandas.DataFrame
        The standard columns first. ``correct`` is recomputed as ``response ==
        category`` when the source has no correctness column.

    Raises
    ------
    ValueError
        Missing columns (all of them are listed, with the columns available),
        responses outside the category set, or empty tables.
    """
    import pandas as pd

    from .._utils.checks import check_option, unknown_name_error

    check_option("format", format, FORMATS)
    df, source = _read(path_or_df)
    if len(df) == 0:
        raise ValueError(f"The trial table from {source} has no rows.")
    df.columns = [str(c) for c in df.columns]
    fmt = _detect(df) if format == "auto" else format
    mapping, extra = _auto_columns(df, fmt)
    mapping = {k: v for k, v in mapping.items() if v is not None}
    for key, col in (columns or {}).items():
        if key not in TRIAL_COLUMNS:
            raise unknown_name_error("standard column in 'columns'", str(key), TRIAL_COLUMNS,
                                     hint=f"The standard columns are {list(TRIAL_COLUMNS)}.")
        if col not in df.columns:
            raise unknown_name_error(f"column of the trial table (columns[{key!r}])", str(col), df.columns)
        mapping[key] = col
        if key == "stimulus":
            extra.pop("stimulus_from_imagename", None)
    if subject is not None and "subject" not in mapping:
        df["subject"] = str(subject)
        mapping["subject"] = "subject"
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        raise ValueError(
            f"The trial table from {source} (read as format {fmt!r}) is missing the required column(s) "
            f"{missing}; its columns are {list(df.columns)}. Map them with columns={{'<standard name>': "
            f"'<your column>', ...}} (e.g. columns={{{missing[0]!r}: {df.columns[0]!r}}})"
            + (", or pass subject='name' for a one-person file." if "subject" in missing else "."))

    if fmt == "jspsych":
        df = df[df[mapping["stimulus"]].notna()].reset_index(drop=True)
    out = pd.DataFrame(index=df.index)
    out["subject"] = df[mapping["subject"]].astype(str)
    stim = df[mapping["stimulus"]].astype(str)
    out["stimulus"] = stim.map(_stem) if extra.get("stimulus_from_imagename") else stim
    resp = df[mapping["response"]]
    missing_resp = resp.isna() | resp.astype(str).str.strip().str.lower().isin([str(v).lower() for v in no_response])
    out["response"] = resp.astype(str).where(~missing_resp, np.nan)
    out["category"] = df[mapping["category"]].astype(str)
    if df[mapping["category"]].isna().any():
        rows = list(np.flatnonzero(df[mapping["category"]].isna())[:5])
        raise ValueError(f"The trial table from {source} has an empty 'category' (the correct answer) in rows "
                         f"{rows}; every trial needs one.")
    cats = sorted(out["category"].unique()) if categories is None else [str(c) for c in categories]
    bad = out["response"].notna() & ~out["response"].isin(cats)
    if bad.any():
        vals = out.loc[bad, "response"].value_counts()
        raise ValueError(
            f"{int(bad.sum())} response(s) in the trial table from {source} are outside the category set "
            f"{cats}: {({str(k): int(v) for k, v in vals.head(8).items()})}. Pass categories=[...] with every "
            f"allowed response, add them to "
            f"no_response=... if they mean 'no answer', or fix the mapping of the response column.")
    if categories is not None:
        badc = ~out["category"].isin(cats)
        if badc.any():
            raise ValueError(f"{int(badc.sum())} trial(s) have a 'category' outside categories={cats}: "
                             f"{sorted(out.loc[badc, 'category'].unique())[:8]}.")
    if "correct" in mapping:
        corr = df[mapping["correct"]]
        out["correct"] = corr.map(lambda v: str(v).strip().lower() in ("1", "1.0", "true", "yes")).astype(bool)
    else:
        out["correct"] = (out["response"] == out["category"]).fillna(False).astype(bool)
    rt = pd.to_numeric(df[mapping["rt"]], errors="coerce") if "rt" in mapping else pd.Series(np.nan, index=df.index)
    out["rt"] = rt.astype(float) * extra.get("rt_scale", 1.0)
    out["condition"] = df[mapping["condition"]] if "condition" in mapping else "all"
    out["session"] = df[mapping["session"]] if "session" in mapping else 1
    if "trial" in mapping:
        out["trial"] = df[mapping["trial"]]
    else:
        out["trial"] = out.groupby("subject").cumcount() + 1
    if keep_extra:
        used = set(mapping.values()) - ({mapping["stimulus"]} if extra.get("stimulus_from_imagename") else set())
        for c in df.columns:
            if c not in used and c not in out.columns:
                out[c] = df[c]
    return out.reset_index(drop=True)


def check_trials(trials, name: str = "trials"):
    """Check a standard trial table (columns, no duplicate trials per subject/condition/stimulus)."""
    import pandas as pd

    if not isinstance(trials, pd.DataFrame):
        raise TypeError(f"Invalid value for {name!r}: expected a trial table (pandas DataFrame from "
                        f"neurocompare.behavior.load_trials); got {type(trials).__name__}.")
    missing = [c for c in ("subject", "stimulus", "response", "category", "correct", "condition") if c not in trials]
    if missing:
        raise ValueError(f"Invalid value for {name!r}: missing column(s) {missing}; its columns are "
                         f"{list(trials.columns)}. Read the table with neurocompare.behavior.load_trials first.")
    if len(trials) == 0:
        raise ValueError(f"Invalid value for {name!r}: the trial table has no rows.")
    return trials


def check_design(trials, name: str = "trials") -> None:
    """Every subject must have trials in every condition of its table."""
    conds = trials["condition"].unique()
    have = trials.groupby("subject", sort=False)["condition"].unique()
    for subj, cs in have.items():
        lack = [c for c in conds if c not in set(cs)]
        if lack:
            raise ValueError(f"Subject {subj!r} in {name!r} has no trials in condition(s) {lack[:5]} "
                             f"({len(lack)} of {len(conds)}). Drop the subject, or compute the metric per condition "
                             f"on the subjects that saw it (e.g. trials[trials.condition == {lack[0]!r}]).")


def duplicates_error(trials, name: str):
    dup = trials.duplicated(["subject", "condition", "stimulus"], keep=False)
    if dup.any():
        first = trials.loc[dup, ["subject", "condition", "stimulus"]].iloc[0]
        raise ValueError(f"Invalid value for {name!r}: {int(dup.sum())} trials repeat a stimulus within a subject "
                         f"and condition (e.g. subject {first['subject']!r}, condition {first['condition']!r}, "
                         f"stimulus {first['stimulus']!r}); trials are matched on stimulus, so give repeated "
                         "presentations different conditions or keep one of them.")


def check_coverage(model_trials, human_trials, *, model_name: str = "models", human_name: str = "humans") -> None:
    """Every (condition, stimulus) of the model table must be in the human table."""
    import pandas as pd

    m = pd.MultiIndex.from_frame(model_trials[["condition", "stimulus"]].drop_duplicates())
    h = pd.MultiIndex.from_frame(human_trials[["condition", "stimulus"]].drop_duplicates())
    lack = m.difference(h)
    if len(lack):
        shown = [f"{s!r} (condition {c!r})" for c, s in list(lack)[:8]]
        raise ValueError(
            f"{len(lack)} of {len(m)} stimuli in {model_name!r} are missing from {human_name!r}: "
            f"{', '.join(shown)}{' ...' if len(lack) > 8 else ''}. Trials match on stimulus (and condition): check "
            f"that both tables name stimuli the same way, or keep only the stimuli people saw "
            f"({model_name}[{model_name}.stimulus.isin({human_name}.stimulus)]).")
