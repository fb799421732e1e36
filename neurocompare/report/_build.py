"""Build ``report.html`` from a results folder (figures embedded, so the page opens with no network)."""
from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

from .._utils.paths import atomic_write_bytes

TEMPLATE = "template.html.j2"
_SECTIONS = (("probes", "What and where across depth", "probes.csv"),
             ("rsa", "Representational similarity analysis", "rsa.csv"),
             ("decoding", "Decoding", "decoding.csv"),
             ("cam", "Where the networks look: class-activation maps", "cam_localization.csv"),
             ("behavior", "Models and people, trial by trial", "behavior_consistency.csv"),
             ("transfer", "Transfer learning: what a network brings to a new task", "transfer_summary.csv"),
             ("generation", "A GAN as a stimulus factory", "generation_traversal.csv"))


def build_report(folder, *, out=None) -> Path:
    """Write ``report.html`` for a study's results folder.

    Parameters
    ----------
    folder : path-like
        A results folder written by :func:`neurocompare.study.run_study` (``tables/``,
        ``figures/``, ``provenance.json``, ``methods.md``).
    out : path-like, optional
        The page to write; default ``folder / "report.html"``.

    Returns
    -------
    pathlib.Path
        The page: one self-contained HTML file (figures embedded as PNG, tables sortable,
        every table linked to the CSV it shows).
    """
    import jinja2
    import pandas as pd

    folder = Path(folder)
    if not (folder / "provenance.json").is_file():
        raise FileNotFoundError(f"Invalid value for 'folder': {str(folder)!r} is not a study results folder (it has "
                                "no provenance.json). Run the study first: neurocompare run STUDY.toml.")
    record = json.loads((folder / "provenance.json").read_text())
    config = record.get("config", {}).get("resolved_config", {})
    info = config.get("study", {})
    tables = {p.stem: pd.read_csv(p) for p in sorted((folder / "tables").glob("*.csv"))}
    sections = []
    for key, title, csv in _SECTIONS:
        name = Path(csv).stem
        if name not in tables:
            continue
        sections.append({"title": title, "anchor": key, "csv": f"tables/{csv}",
                         "figures": _figures(folder, key, tables[name]),
                         "table": _table_html(tables[name], f"tables/{csv}")})
    env = jinja2.Environment(loader=jinja2.PackageLoader("neurocompare.report", ""),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    page = env.get_template(TEMPLATE).render(
        title=info.get("title", "neurocompare study"), description=info.get("description", ""),
        authors=info.get("authors", []), created=record.get("created", ""), versions=record.get("versions", {}),
        stimuli=_stimuli_rows(config), models=_model_rows(config), sections=sections,
        methods=_markdown(folder / "methods.md"), device=record.get("config", {}).get("device", ""),
        seed=info.get("random_state", ""))
    target = Path(out) if out is not None else folder / "report.html"
    atomic_write_bytes(target, page.encode("utf-8"))
    return target


def _figures(folder: Path, key: str, table) -> list[dict]:
    from . import _captions

    out = []
    for png in sorted((folder / "figures").glob(f"{key}_*.png")):
        stem = png.stem[len(key) + 1:]
        if key == "rsa" and stem in set(table["target"]):
            caption = _captions.rsa_caption(table, stem)
        elif key == "probes":
            caption = _captions.probes_caption(table, stem)
        elif key == "decoding":
            caption = _captions.decoding_caption(table, stem)
        elif key == "rsa" and stem == "layers":
            caption = ("Every layer's RDM compared with every other layer's (second-order RSA): bright cells are "
                       "layers that order the stimuli alike, within and across models.")
        elif key == "transfer":
            caption = _captions.transfer_caption(table, stem)
        elif key == "generation":
            caption = _captions.generation_caption(table, stem)
        elif key == "behavior":
            caption = _captions.behavior_caption(table, stem)
        elif stem.startswith("scores_"):
            caption = _captions.cam_caption(table, stem[len("scores_"):])
        else:
            caption = (f"Class-activation maps of {html.escape(stem)} on the first images, over the images, with the "
                       "object's outline: warm colours are where the evidence for the class comes from.")
        pdf = png.with_suffix(".pdf")
        out.append({"src": "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii"),
                    "name": png.stem, "caption": caption, "pdf": f"figures/{pdf.name}" if pdf.is_file() else None})
    return out


def _table_html(df, csv: str, max_rows: int = 200) -> str:
    import numpy as np

    shown = df.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for _, row in shown.iterrows():
        cells = []
        for v in row:
            if isinstance(v, (float, np.floating)):
                text = "NaN" if not np.isfinite(v) else (f"{v:.3g}" if abs(v) < 1e-3 and v != 0 else f"{v:.3f}")
                cells.append(f'<td class="num" data-v="{v if np.isfinite(v) else ""}"><a href="{csv}">{text}</a></td>')
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                cells.append(f'<td class="num" data-v="{v}"><a href="{csv}">{v}</a></td>')
            else:
                cells.append(f"<td>{html.escape(str(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (f'<p class="note">First {max_rows} of {len(df)} rows; all in <a href="{csv}">{csv}</a>.</p>'
            if len(df) > max_rows else "")
    return f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'


def _stimuli_rows(config) -> list[dict]:
    return [{"name": k, "source": v.get("path") or v.get("spec") or v.get("dataset")}
            for k, v in config.get("stimuli", {}).items()]


def _model_rows(config) -> list[dict]:
    rows = []
    for k, v in config.get("models", {}).items():
        how = f"trained on {v['train_on']}" if v.get("train_on") else (v.get("weights") or "random (seeded)")
        rows.append({"name": k, "model": v.get("model"), "weights": how})
    return rows


def _markdown(path: Path) -> str:
    """The small Markdown subset ``methods.md`` uses (headings, lists, bold, code) as HTML."""
    if not path.is_file():
        return ""
    out, in_list = [], False
    for block in path.read_text(encoding="utf-8").split("\n"):
        line = html.escape(block)
        line = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", line)
        line = re.sub(r"`(.+?)`", r"<code>\1</code>", line)
        line = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"<i>\1</i>", line)
        if line.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{line[2:]}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if line.startswith("## "):
            out.append(f"<h3>{line[3:]}</h3>")
        elif line.startswith("# "):
            continue  # the page has its own heading
        elif line.strip():
            out.append(f"<p>{line}</p>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)
