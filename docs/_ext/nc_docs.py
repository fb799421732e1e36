"""Pages of the docs site generated at build time: the CLI, study-file and API references.

Each ``write_*`` function returns Markdown (MyST) and imports no Sphinx, so tests can call them;
:func:`setup` registers them with Sphinx, which writes them to ``docs/generated/`` (git-ignored)
when the configuration is read, before Sphinx
looks for the source files.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
GENERATED = DOCS / "generated"

#: The subpackages in the API reference, in the order of the guide.
API_MODULES = ("stimuli", "models", "extraction", "probes", "decoding", "rsa", "cam", "saliency", "behavior",
               "transfer", "generation", "datasets", "plotting", "study", "report")

_MD_SPECIAL = re.compile(r"([\\|*_<>\[\]])")


def _escape(text: str) -> str:
    """Text as literal Markdown (a table cell or paragraph): no emphasis, HTML or broken table."""
    return _MD_SPECIAL.sub(r"\\\1", text)


# ----------------------------------------------------------------------------------------------- CLI

def iter_commands():
    """``(words, command, context)`` for the ``neurocompare`` command and every command under it, depth first.

    ``words`` is the command line that calls it, e.g. ``("neurocompare", "gan", "train")``.
    """
    import typer

    from neurocompare.cli import app

    root = typer.main.get_command(app)
    click = importlib.import_module(type(root).__mro__[1].__module__.rsplit(".", 1)[0])  # typer's click

    def walk(cmd, words, parent):
        ctx = click.Context(cmd, info_name=words[-1], parent=parent)
        yield words, cmd, ctx
        for name, sub in getattr(cmd, "commands", {}).items():
            if not getattr(sub, "hidden", False):
                yield from walk(sub, (*words, name), ctx)

    yield from walk(root, ("neurocompare",), None)


def _command_section(words, cmd, ctx) -> str:
    level = "#" * min(len(words) + 1, 4)
    out = [f"{level} `{' '.join(words)}`", ""]
    help_text = inspect.cleandoc(cmd.help or "").replace("\b\n", "")
    for para in help_text.split("\n\n"):
        if para.strip():
            out += [_escape(" ".join(para.split())), ""]
    out += ["```text", cmd.get_usage(ctx).strip(), "```", ""]
    rows = []
    for param in cmd.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        flags, meaning = record
        rows.append(f"| `{flags}` | {_escape(' '.join(meaning.split()))} |")
    if rows:
        out += ["| argument or option | meaning |", "| --- | --- |", *rows, ""]
    subs = [n for n, s in getattr(cmd, "commands", {}).items() if not getattr(s, "hidden", False)]
    if subs:
        out += ["Commands: " + ", ".join(f"`{' '.join((*words, n))}`" for n in subs) + ".", ""]
    return "\n".join(out)


def write_cli_reference() -> str:
    """The CLI reference: every command's help, usage, arguments and options, from the typer app."""
    head = ["# Command-line reference", "",
            "Generated from the `neurocompare` app when the docs are built (`neurocompare COMMAND --help` "
            "prints the same). The [command-line guide](../cli.md) shows the commands at work.", ""]
    return "\n".join(head) + "\n" + "\n".join(_command_section(*c) for c in iter_commands())


# ----------------------------------------------------------------------------------------- study file

def write_study_reference() -> str:
    """The study-file reference: every section and key, with type, default and meaning, from the schema."""
    from neurocompare.study._docs import reference_markdown

    head = ["# Study-file reference", "",
            "Generated from the study file's schema when the docs are built. Every key of a study file "
            "(TOML), section by section: its type, its default and what it means. "
            "`neurocompare study schema` prints the same schema as JSON Schema, for editors; "
            "the [study-file guide](../study.md) shows a whole file.", ""]
    body = re.sub(r"^### ", "## ", reference_markdown(), flags=re.M)  # sections under the page title
    return "\n".join(head) + "\n" + body


# ---------------------------------------------------------------------------------------------- API

def _summary(doc: str | None) -> str:
    return " ".join((inspect.cleandoc(doc or "").split("\n\n")[0]).split())


def write_api_module(name: str) -> str:
    """One subpackage's API page: its docstring and an autosummary of every name in its ``__all__``."""
    mod = importlib.import_module(f"neurocompare.{name}")
    names = list(getattr(mod, "__all__", []))
    kinds = {"Functions": [], "Classes": [], "Constants": []}
    for n in names:
        obj = getattr(mod, n)
        if inspect.isclass(obj):
            kinds["Classes"].append(n)
        elif callable(obj):
            kinds["Functions"].append(n)
        else:
            kinds["Constants"].append(n)
    out = [f"# `neurocompare.{name}`", "", "```{eval-rst}", f".. automodule:: neurocompare.{name}",
           "   :no-members:", "", f".. currentmodule:: neurocompare.{name}", "```", ""]
    for kind, members in kinds.items():
        if not members:
            continue
        template = {"Classes": "class.rst", "Constants": "data.rst"}.get(kind, "function.rst")
        out += [f"## {kind}", "", "```{eval-rst}", ".. autosummary::", "   :toctree: api",
                f"   :template: {template}", "", *(f"   {m}" for m in members), "```", ""]
    return "\n".join(out)


def write_api_index() -> str:
    """The API reference's front page: the top-level names and one page per subpackage."""
    import neurocompare as nc

    rows = []
    for name in API_MODULES:
        mod = importlib.import_module(f"neurocompare.{name}")
        rows.append(f"| [`nc.{name}`](api_{name}.md) | {_escape(_summary(mod.__doc__))} |")
    top = [n for n in nc.__all__ if n not in nc._SUBMODULES and n != "__version__"]
    return "\n".join([
        "# API reference", "",
        "Generated from the docstrings when the docs are built: every public name of each subpackage "
        "(its `__all__`). `import neurocompare as nc` is cheap; a subpackage loads on first use.", "",
        "```{eval-rst}", ".. currentmodule:: neurocompare", "", ".. autosummary::", "   :toctree: api",
        "   :template: function.rst", "", *(f"   {n}" for n in top), "```", "",
        "| subpackage | what it holds |", "| --- | --- |", *rows, "",
        "```{toctree}", ":hidden:", "", *(f"api_{n}" for n in API_MODULES), "```", ""])


def validation_exclude() -> set[str]:
    """Names numpydoc's PR01/PR02 check skips (regexes for ``numpydoc_validation_exclude``).

    The docstrings ``tests/test_api_vocabulary.py`` lists as pending (that test fails once one is fixed,
    so the list stays current), and the result dataclasses, which document their fields (the constructor's
    parameters) under Attributes, when every field is there.
    """
    import dataclasses
    import sys

    from numpydoc.docscrape import ClassDoc

    names = set()
    sys.path.insert(0, str(DOCS.parent / "tests"))
    try:
        from test_api_vocabulary import PENDING
    except ImportError:  # the tests are not where the docs are built
        PENDING = {}
    finally:
        sys.path.pop(0)
    names.update(f"neurocompare.{path}" for path, keys in PENDING.items() if "docstring" in keys)
    for module in API_MODULES:
        mod = importlib.import_module(f"neurocompare.{module}")
        for n in getattr(mod, "__all__", []):
            obj = getattr(mod, n)
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
                documented = {a.strip() for item in ClassDoc(obj, config={"show_class_members": False})["Attributes"]
                              for a in item.name.split(",")}
                if {f.name for f in dataclasses.fields(obj) if f.init} <= documented:
                    names.add(f"neurocompare.{module}.{n}")
    return {"^" + re.escape(n) + "$" for n in names}


# ------------------------------------------------------------------------------------------ gallery

def gallery_entries() -> list[tuple[str, str, str]]:
    """``(docname, title, first figure)`` of each ``docs/analyses/*.md`` page, in file order."""
    out = []
    for page in sorted((DOCS / "analyses").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        title = re.search(r"^# (.+)$", text, flags=re.M)
        figure = re.search(r"!\[[^\]]*\]\((\.\./images/[^)]+\.png)\)", text)
        out.append((f"analyses/{page.stem}", title.group(1) if title else page.stem,
                    figure.group(1) if figure else ""))
    return out


def write_gallery() -> str:
    """The analyses gallery: one card per ``analyses/`` script, its first figure linking to its page."""
    out = ["# Analyses gallery", "",
           "The `analyses/` scripts, each a worked study with the figures it wrote (the docs build does not "
           "run them: `python analyses/NAME.py --help` lists a script's options, and each writes to "
           "`--out DIR`).", "", ":::::{container} nc-gallery", ""]
    for doc, title, figure in gallery_entries():
        out += ["::::{container} nc-gallery-card", ""]
        if figure:
            out += ["```{image} " + figure, f":alt: {title}", f":target: ../{doc}.html", "```", ""]
        out += [f"[{_escape(title)}](../{doc}.md)", "", "::::", ""]
    out += [":::::", "", "```{toctree}", ":hidden:", "", *(f"../{d}" for d, _, _ in gallery_entries()), "```", ""]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------- Sphinx

_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\((\.\./[^)#\s]+)\)")


def _outside_links_as_text(source: str, docname: str, srcdir: Path) -> str:
    """Links to files outside docs/ (the site carries only docs/) as the path they name, in code."""
    here = (srcdir / docname).parent

    def repl(m):
        target = (here / m.group(2)).resolve()
        if srcdir.resolve() in target.parents:
            return m.group(0)
        label = m.group(1)
        return label if label.startswith("`") else f"`{label}`"

    return _LINK.sub(repl, source)


def _guide_section(index_text: str) -> str:
    """The "## Guide" list of docs/index.md."""
    return index_text.partition("## Guide")[2].partition("\n## ")[0].strip()


def write_guide() -> str:
    """The user guide's landing page: the guide list of docs/index.md, one page per capability."""
    items = _guide_section((DOCS / "index.md").read_text(encoding="utf-8"))
    docs = re.findall(r"^- \[[^\]]+\]\(([\w/]+)\.md\)", items, flags=re.M)
    items = re.sub(r"^(- \[[^\]]+\]\()", r"\1../", items, flags=re.M)
    return "\n".join(["# User guide", "", "One page per capability, each with the Python API and the command "
                      "line it describes.", "", items, "", "```{toctree}", ":hidden:", "",
                      *(f"../{d}" for d in docs), "```", ""])


def write_reference() -> str:
    """The reference's landing page: API, command line, study file."""
    return "\n".join([
        "# Reference", "", "Generated when the docs are built, so they match the code.", "",
        "- [API reference](api.md): every public function and class, from the docstrings.",
        "- [Command-line reference](cli.md): every command, argument and option, from the app.",
        "- [Study-file reference](study_file.md): every key of a study file, from its schema.", "",
        "```{toctree}", ":hidden:", "", "api", "cli", "study_file", "```", ""])


def _index_toctrees(source: str) -> str:
    """The site's navigation (getting started, guide, gallery, reference) and links to it."""
    return source.rstrip("\n") + "\n" + "\n".join([
        "", "## Reference", "",
        "- [API reference](generated/api.md): every public function and class, from the docstrings.",
        "- [Command-line reference](generated/cli.md): every command, argument and option.",
        "- [Study-file reference](generated/study_file.md): every key of a study file, from its schema.", "",
        "```{toctree}", ":hidden:", "", "getting_started", "User guide <generated/guide>",
        "Analyses gallery <generated/gallery>", "Reference <generated/reference>", "```", ""])


def _write(path: Path, text: str) -> None:
    """Write only when the text changed, so Sphinx does not reread unchanged pages."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_generated(outdir: Path = GENERATED) -> list[Path]:
    """Write every generated page into ``outdir``; return their paths."""
    pages = {"cli.md": write_cli_reference(), "study_file.md": write_study_reference(),
             "api.md": write_api_index(), "gallery.md": write_gallery(),
             "guide.md": write_guide(), "reference.md": write_reference()}
    pages.update({f"api_{n}.md": write_api_module(n) for n in API_MODULES})
    for name, text in pages.items():
        _write(outdir / name, text)
    return [outdir / n for n in pages]


def _on_config_inited(app, config) -> None:
    write_generated(Path(app.srcdir) / "generated")


@functools.lru_cache(maxsize=None)
def _fill_numbers_tool():
    """docs/_tools/fill_numbers.py, loaded once per build (its VALUE pattern marks generated values)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fill_numbers", DOCS / "_tools" / "fill_numbers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_SKIP_LINE = re.compile(r"^# doctest: skip \(.*\)\n", re.M)


def _for_readers(text: str) -> str:
    """Generated values as plain text (a marker at a line start would end the paragraph) and code blocks
    without their ``# doctest: skip (why)`` lines, which are for the snippet tests."""
    text = _fill_numbers_tool().VALUE.sub(lambda m: m["text"], text)
    return _SKIP_LINE.sub("", text)


def _on_source_read(app, docname, source) -> None:
    source[0] = _for_readers(_outside_links_as_text(source[0], docname, Path(app.srcdir)))
    if docname == "index":
        source[0] = _index_toctrees(source[0])
    # study.md embeds the reference for readers of the repository; on the site it is its own page.
    if docname == "study":
        from neurocompare.study._docs import END, START

        head, _, rest = source[0].partition(START)
        if rest:
            source[0] = (head + "The full reference, every section and key, is the "
                         "[study-file reference](generated/study_file.md).\n" + rest.partition(END)[2])


def setup(app):
    # before Sphinx looks for the source files and autosummary for the pages to generate stubs for
    app.connect("config-inited", _on_config_inited)
    app.connect("source-read", _on_source_read)
    app.add_css_file("nc_docs.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
