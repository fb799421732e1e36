"""Bad inputs an outsider tried, one parameter each: the error (type and message) or the result it must give.

Each case is ``(id, call, expected, match, status)``: ``expected`` is the exception type
(None where the input is valid and the call must work, checked inside ``call``),
``match`` a fragment of the message, ``status`` ``"clear"`` (already a clear error or a
right result when tried) or ``"fixed"`` (a raw traceback, an unclear message or a silently
wrong result when tried, fixed since). The tally in docs/reliability.md counts this list
(``test_tally_matches_the_docs``).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neurocompare as nc

DOCS = Path(__file__).resolve().parents[1] / "docs" / "reliability.md"


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    root = tmp_path_factory.mktemp("outsider")
    stim = nc.stimuli.make_whatwhere(root / "stim", n_per_category=2, image_size=32, random_state=0)
    net = nc.models.load("smallcnn", image_size=32)
    acts = nc.extract(net, stim, layers=["block1", "block2"], reduce="avgpool", progress=False)
    x = np.random.default_rng(0).normal(size=(len(stim), 10))
    return {"root": root, "stim": stim, "net": net, "acts": acts, "layer": nc.extraction.get_layer(acts, "block1"),
            "x": x, "rdm": nc.rsa.compute_rdm(x, "euclidean")}


def _png(path, size=8):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (size, size), (120, 30, 200)).save(path)
    return path


def _folder(c, name, table: str | bytes, files=("a.png", "b.png")):
    d = c["root"] / name
    d.mkdir(parents=True, exist_ok=True)
    for f in files:
        _png(d / f)
    (d / "stimuli.csv").write_bytes(table if isinstance(table, bytes) else table.encode())
    return d


def _file(c, name, data: bytes | str):
    p = c["root"] / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


def _ratings(**cols):
    base = {"subject": [1, 1, 1], "stimulus_a": ["x", "x", "y"], "stimulus_b": ["y", "z", "z"], "rating": [3, 2, 1]}
    return pd.DataFrame({**base, **cols})


def _trials(**cols):
    base = {"subject": ["m"] * 2, "stimulus": ["a", "b"], "response": ["x", "y"], "category": ["x", "x"]}
    return nc.behavior.load_trials(pd.DataFrame({**base, **cols}), categories=["x", "y"])


def _fix(**cols):
    base = {"stimulus": ["s"], "subject": ["p"], "x": [1.0], "y": [2.0], "width": [10], "height": [10]}
    return pd.DataFrame({**base, **cols})


# --- valid but awkward inputs that must work (checked inside the call) ---------------------------------------------

def _bom_stimuli(c):
    d = _folder(c, "bom", "\ufeffstimulus_id,file,category\nA,a.png,x\nB,b.png,y\n")
    assert list(nc.stimuli.load(d).ids) == ["A", "B"]


def _semicolon_stimuli(c):
    d = _folder(c, "semi", "stimulus_id;file;category\nA;a.png;x\nB;b.png;y\n")
    s = nc.stimuli.load(d)
    assert list(s.ids) == ["A", "B"] and list(s.metadata.category) == ["x", "y"]


def _spaces_stimuli(c):
    d = _folder(c, "spaces", "stimulus_id, file, category\nA, a.png, x\nB, b.png, y\n")
    s = nc.stimuli.load(d)
    assert list(s.metadata.file) == ["a.png", "b.png"] and list(s.metadata.category) == ["x", "y"]


def _quoted_stimuli(c):
    d = _folder(c, "quoted", '"stimulus_id","file","category"\n"A","a.png","x"\n"B","b.png","y"\n')
    assert list(nc.stimuli.load(d).ids) == ["A", "B"]


def _unicode_path(c):
    d = c["root"] / "mes stimuli é"
    _png(d / "chat noir" / "ça.png")
    _png(d / "chat noir" / "b b.png")
    assert sorted(nc.stimuli.load(d).ids) == ["chat noir/b b", "chat noir/ça"]


def _symlink_loop(c):
    d = c["root"] / "loop" / "cat"
    _png(d / "a.png")
    os.symlink(d, d / "self")
    assert list(nc.stimuli.load(d.parent).ids) == ["cat/a"]


def _semicolon_ratings(c):
    p = _file(c, "r.csv", "subject;stimulus_a;stimulus_b;rating\n1;x;y;3\n1;x;z;2\n1;y;z;1\n")
    np.testing.assert_allclose(nc.rsa.from_ratings(p).values[0], [[0, 3, 2], [3, 0, 1], [2, 1, 0]])


def _bom_ratings(c):
    p = _file(c, "rb.csv", "\ufeffsubject,stimulus_a,stimulus_b,rating\n1,x,y,3\n1,x,z,2\n1,y,z,1\n".encode())
    assert nc.rsa.from_ratings(p).shape == (1, 3, 3)


def _bom_trials(c):
    p = _file(c, "tb.csv", "\ufeffsubject,stimulus,response,category\n1,a,cat,cat\n1,b,dog,cat\n".encode())
    assert list(nc.behavior.load_trials(p, categories=["cat", "dog"]).subject.astype(str)) == ["1", "1"]


def _fdr_nan(c):
    np.testing.assert_allclose(nc.rsa.fdr_bh([0.01, np.nan, 0.04]), [0.02, np.nan, 0.04])


def _plot_rdm_array(c):
    import matplotlib

    matplotlib.use("Agg")
    ax = nc.plotting.plot_rdm(np.ones((3, 3)) - np.eye(3))
    assert ax.images


def _rdm_list(c):
    rdm = nc.rsa.compute_rdm([[1, 2], [3, 4], [5, 7]], "euclidean")
    np.testing.assert_allclose(rdm.values[0, 2], 20.5)  # mean squared difference: (4² + 5²) / 2


def _ratings_nan(c):
    v = nc.rsa.from_ratings(_ratings(rating=[3, np.nan, 2])).values[0]
    assert np.isnan(v[0, 2]) and v[0, 1] == 3


CASES = [
    # stimuli
    ("stimuli.load missing folder", lambda c: nc.stimuli.load(c["root"] / "nope"), FileNotFoundError,
     "does not exist or is not a folder", "clear"),
    ("stimuli.load a .txt file as the folder", lambda c: nc.stimuli.load(_file(c, "a.txt", "x")), FileNotFoundError,
     "is not a folder", "clear"),
    ("stimuli.load empty folder", lambda c: nc.stimuli.load(Path(c["root"] / "empty").mkdir() or c["root"] / "empty"),
     FileNotFoundError, "no stimuli.csv and no class subfolders", "clear"),
    ("stimuli.load text file named .png", lambda c: nc.stimuli.load(_txt_png(c)), ValueError, "is not an image",
     "clear"),
    ("stimuli.csv with a BOM", _bom_stimuli, None, "", "clear"),
    ("stimuli.csv with semicolons", _semicolon_stimuli, None, "", "fixed"),
    ("stimuli.csv with spaces after commas", _spaces_stimuli, None, "", "fixed"),
    ("stimuli.csv with quoted header", _quoted_stimuli, None, "", "clear"),
    ("stimuli.csv duplicate stimulus_id", lambda c: nc.stimuli.load(
        _folder(c, "dup", "stimulus_id,file,category\nA,a.png,x\nA,b.png,y\n")), ValueError,
     "duplicate stimulus_id 'A'", "clear"),
    ("stimuli.csv without 'file'", lambda c: nc.stimuli.load(_folder(c, "nofile", "stimulus_id,category\nA,x\n")),
     ValueError, "missing the required column 'file'", "clear"),
    ("stimuli.csv file outside the folder, not an image", lambda c: _file(c, "a.txt", "x") and nc.stimuli.load(
        _folder(c, "outside", "stimulus_id,file,category\nA,../a.txt,x\n", files=())), ValueError,
     "is not an image", "clear"),
    ("unicode and spaces in paths", _unicode_path, None, "", "clear"),
    ("symlink loop in the folder", _symlink_loop, None, "", "clear"),
    ("stimuli.load(validate='no')", lambda c: nc.stimuli.load(c["stim"].root, validate="no"), TypeError,
     "'validate': expected True or False", "fixed"),
    ("make_whatwhere n_per_category=0", lambda c: nc.stimuli.make_whatwhere(c["root"] / "z0", n_per_category=0),
     ValueError, "'n_per_category': expected an integer >= 1", "clear"),
    ("make_whatwhere n_per_category=2.5", lambda c: nc.stimuli.make_whatwhere(c["root"] / "z1", n_per_category=2.5),
     ValueError, "'n_per_category'", "clear"),
    ("make_whatwhere image_size=2", lambda c: nc.stimuli.make_whatwhere(c["root"] / "z2", image_size=2),
     ValueError, "'image_size': expected an integer", "clear"),
    ("make_whatwhere image_size=10**6", lambda c: nc.stimuli.make_whatwhere(c["root"] / "z3", image_size=10 ** 6),
     ValueError, "'image_size': expected an integer in [16, 4096]", "fixed"),
    ("make_whatwhere background typo", lambda c: nc.stimuli.make_whatwhere(c["root"] / "z4", background="nosie"),
     ValueError, "Did you mean 'noise'", "clear"),
    ("make_whatwhere unknown shape", lambda c: nc.stimuli.make_whatwhere(c["root"] / "z5", categories=["blob"]),
     ValueError, "got 'blob'", "clear"),
    ("make_whatwhere out= an existing file", lambda c: nc.stimuli.make_whatwhere(_file(c, "f.txt", "x")),
     FileExistsError, "already exists", "clear"),
    ("make_whatwhere random_state='zero'", lambda c: nc.stimuli.make_whatwhere(c["root"] / "z6", random_state="zero"),
     ValueError, "'random_state'", "clear"),
    ("StimulusSet.subset unknown id", lambda c: c["stim"].subset(["nope"]), KeyError,
     "the set's ids look like", "fixed"),
    ("make_from_spec typo", lambda c: nc.stimuli.make_from_spec("whatwhere-defualt"), KeyError,
     "Close matches: 'whatwhere-default'", "clear"),
    ("read_image on a folder", lambda c: nc.stimuli.read_image(c["root"]), FileNotFoundError, "does not exist",
     "clear"),
    ("read_image mode='BGR'", lambda c: nc.stimuli.read_image(c["stim"].root / c["stim"].metadata.file.iloc[0],
                                                             mode="BGR"), ValueError, "'mode'", "clear"),
    # models
    ("models.load typo", lambda c: nc.models.load("resnet81"), KeyError, "Close matches: 'resnet18'", "clear"),
    ("models.load weights= a text file", lambda c: nc.models.load("smallcnn", weights=_file(c, "w.pt", "hello")),
     ValueError, "is not a PyTorch file", "clear"),
    ("models.load weights='DEFAUL'", lambda c: nc.models.load("resnet18", weights="DEFAUL"), ValueError,
     "'weights'", "clear"),
    ("models.load unknown option", lambda c: nc.models.load("smallcnn", widht=3), TypeError, "valid options are",
     "clear"),
    ("models.wrap a string", lambda c: nc.models.wrap("resnet"), TypeError, "expected a torch.nn.Module", "clear"),
    ("models.train lr=-1", lambda c: nc.models.train("smallcnn", c["stim"], epochs=1, lr=-1), ValueError,
     "'lr': expected a real number in (0, inf)", "fixed"),
    ("models.train val_fraction=1.5", lambda c: nc.models.train("smallcnn", c["stim"], val_fraction=1.5),
     ValueError, "'val_fraction'", "clear"),
    ("models.train a list", lambda c: nc.models.train("smallcnn", [1, 2]), TypeError, "expected a StimulusSet",
     "clear"),
    ("models.save to a folder", lambda c: nc.models.save(c["net"], c["root"]), IsADirectoryError,
     "is a folder; expected the path of a file", "fixed"),
    ("models.save under a file", lambda c: nc.models.save(c["net"], _file(c, "pf", "x") / "m.pt"),
     NotADirectoryError, "is a file, not a folder", "fixed"),
    # extraction
    ("extract layers=5", lambda c: nc.extract(c["net"], c["stim"], layers=5), TypeError, "'layers'", "clear"),
    ("extract layers=[]", lambda c: nc.extract(c["net"], c["stim"], layers=[]), ValueError, "at least one layer",
     "clear"),
    ("extract batch_size=0", lambda c: nc.extract(c["net"], c["stim"], batch_size=0), ValueError, "'batch_size'",
     "clear"),
    ("extract reduce typo", lambda c: nc.extract(c["net"], c["stim"], reduce="avgpol"), ValueError, "'reduce'",
     "clear"),
    ("extract reduce=('pca', 500) > stimuli", lambda c: nc.extract(c["net"], c["stim"], layers=["block1"],
                                                                 reduce=("pca", 500)), ValueError,
     "more components than there are stimuli", "clear"),
    ("extract device='gpu0'", lambda c: nc.extract(c["net"], c["stim"], device="gpu0"), ValueError, "'device'",
     "clear"),
    ("extract a folder path string", lambda c: nc.extract(c["net"], str(c["stim"].root)), TypeError,
     "neurocompare.stimuli.load(path)", "clear"),
    ("extract NaN input arrays", lambda c: nc.extract(c["net"], np.full((2, 3, 32, 32), np.nan, np.float32),
                                                     layers=["block1"]), ValueError, "NaN or infinite values",
     "fixed"),
    ("extract an empty subset", lambda c: nc.extract(c["net"], c["stim"].subset([])), ValueError,
     "holds no stimuli", "clear"),
    ("extract out= under a file", lambda c: nc.extract(c["net"], c["stim"], layers=["block1"],
                                                      out=_file(c, "pf2", "x") / "a.zarr"), NotADirectoryError,
     "is a file, not a folder", "fixed"),
    ("extraction.load a stimulus folder", lambda c: nc.extraction.load(c["stim"].root), ValueError,
     "is not a zarr store written by neurocompare", "clear"),
    ("extraction.save to .csv", lambda c: nc.extraction.save(c["acts"], c["root"] / "a.csv"), ValueError,
     "suffix '.csv'", "clear"),
    ("extraction.pixels size=-3", lambda c: nc.extraction.pixels(c["stim"], size=-3), ValueError,
     "'size': expected an integer >= 1", "fixed"),
    ("get_layer typo", lambda c: nc.extraction.get_layer(c["acts"], "blok1"), KeyError, "Close matches: 'block1'",
     "clear"),
    # rsa
    ("compute_rdm method typo", lambda c: nc.rsa.compute_rdm(c["x"], "corelation"), ValueError,
     "Did you mean 'correlation'", "clear"),
    ("compute_rdm one stimulus", lambda c: nc.rsa.compute_rdm(c["x"][:1]), ValueError, "at least 2 patterns",
     "clear"),
    ("compute_rdm 1-D data", lambda c: nc.rsa.compute_rdm(np.arange(5.0)), ValueError, "got shape (5,)", "clear"),
    ("compute_rdm a list of lists", _rdm_list, None, "", "clear"),
    ("compute_rdm text values", lambda c: nc.rsa.compute_rdm(np.array([["a", "b"], ["c", "d"]])), TypeError,
     "expected numeric activations", "fixed"),
    ("compute_rdm inf", lambda c: nc.rsa.compute_rdm(np.array([[1, np.inf], [3, 4.0], [1, 1]])), ValueError,
     "NaN or infinite activations", "clear"),
    ("compute_rdm unknown descriptor", lambda c: nc.rsa.compute_rdm(c["acts"], descriptor="colour"), ValueError,
     "'colour' is not a coordinate", "clear"),
    ("make_rdm duplicate ids", lambda c: nc.rsa.make_rdm(np.arange(3.0), ["a", "a", "b"]), ValueError,
     "the ids must be unique", "fixed"),
    ("a similarity matrix (diagonal 1) as an RDM", lambda c: nc.rsa.as_rdm(np.array([[1, .2], [.2, 1.]])),
     ValueError, "the diagonal is not zero", "fixed"),
    ("evaluate against np.ones (not an RDM)", lambda c: nc.rsa.evaluate(c["rdm"], np.ones((16, 16)), n_bootstrap=10,
                                                                       permutations=0), ValueError,
     "the diagonal is not zero", "fixed"),
    ("as_rdm asymmetric", lambda c: nc.rsa.as_rdm(np.array([[0, 1, 2], [3, 0, 1], [2, 1, 0.]])), ValueError,
     "not symmetric", "clear"),
    ("compare RDMs of different sizes", lambda c: nc.rsa.compare(np.arange(3.0), np.arange(6.0)), ValueError,
     "have different sizes", "fixed"),
    ("evaluate reference with other ids", lambda c: nc.rsa.evaluate(
        c["rdm"].assign_coords(stimulus_a=list(c["stim"].ids), stimulus_b=list(c["stim"].ids)),
        nc.rsa.make_rdm(np.arange(120.0), [f"z{i}" for i in range(16)]), n_bootstrap=10), ValueError,
     "The RDMs cover different stimuli", "clear"),
    ("evaluate n_bootstrap=0", lambda c: nc.rsa.evaluate(c["rdm"], c["rdm"], n_bootstrap=0), ValueError,
     "'n_bootstrap'", "clear"),
    ("evaluate ci=95", lambda c: nc.rsa.evaluate(c["rdm"], c["rdm"], ci=95), ValueError, "between 0 and 1",
     "clear"),
    ("evaluate method typo", lambda c: nc.rsa.evaluate(c["rdm"], c["rdm"], method="spearmann"), ValueError,
     "Did you mean 'spearman'", "clear"),
    ("from_ratings wrong column", lambda c: nc.rsa.from_ratings(_ratings().rename(columns={"stimulus_a": "a"})),
     ValueError, "no column 'stimulus_a'", "clear"),
    ("from_ratings text rating", lambda c: nc.rsa.from_ratings(_ratings(rating=["3", "high", "2"])), ValueError,
     "got 'high' in rows 1", "clear"),
    ("from_ratings NaN rating (a missed trial)", _ratings_nan, None, "", "clear"),
    ("from_ratings reversed scale", lambda c: nc.rsa.from_ratings(_ratings(), kind="similarity", scale=(7, 1)),
     ValueError, "min < max", "clear"),
    ("from_ratings rating outside the scale", lambda c: nc.rsa.from_ratings(_ratings(rating=[3, 9, 2]),
                                                                           kind="similarity", scale=(1, 7)),
     ValueError, "within 'scale'", "clear"),
    ("from_ratings empty table", lambda c: nc.rsa.from_ratings(_ratings().iloc[:0]), ValueError, "no rows", "clear"),
    ("ratings CSV with semicolons", _semicolon_ratings, None, "", "fixed"),
    ("ratings CSV with a BOM", _bom_ratings, None, "", "clear"),
    ("from_triplets choice not shown", lambda c: nc.rsa.from_triplets(pd.DataFrame(
        {"subject": [1], "stimulus_1": ["a"], "stimulus_2": ["b"], "stimulus_3": ["c"], "choice": ["d"]})),
     ValueError, "must be one of the row's three stimuli", "clear"),
    ("from_confusions negative count", lambda c: nc.rsa.from_confusions(pd.DataFrame(
        {"subject": [1, 1], "stimulus": ["a", "b"], "response": ["a", "a"], "count": [-3, 2]}), count="count"),
     ValueError, "expected counts >= 0", "clear"),
    ("load_rdms .mat wrong variable", lambda c: nc.rsa.load_rdms(_mat(c, "r.mat", {"foo": np.eye(3)}),
                                                                variable="RDM"), ValueError, "it holds ['foo']",
     "clear"),
    ("load_rdms .mat struct without RDM", lambda c: nc.rsa.load_rdms(_mat(c, "r2.mat", {"RDM": {"a": np.eye(3)}})),
     ValueError, "is not numeric", "fixed"),
    ("load_rdms random bytes .mat", lambda c: nc.rsa.load_rdms(_file(c, "g.mat", os.urandom(300))), ValueError,
     "is not a readable MATLAB .mat file", "fixed"),
    ("load_rdms .npy of objects", lambda c: nc.rsa.load_rdms(_npy(c, "ob.npy", np.array([{"a": 1}], dtype=object))),
     ValueError, "Python objects", "fixed"),
    ("load_rdms .npy (3, 4)", lambda c: nc.rsa.load_rdms(_npy(c, "ns.npy", np.zeros((3, 4)))), ValueError,
     "has shape (3, 4): not a square", "fixed"),
    ("load_rdms .xlsx", lambda c: nc.rsa.load_rdms(_file(c, "r.xlsx", "x")), ValueError,
     "expected a .npy, .mat or .csv file", "clear"),
    ("load_rdms ids of the wrong length", lambda c: nc.rsa.load_rdms(_npy(c, "sq.npy", np.ones((3, 3)) - np.eye(3)),
                                                                    stimulus_ids=["a", "b"]), ValueError,
     "2 ids for an RDM of 3 stimuli", "clear"),
    ("noise_ceiling of one subject", lambda c: nc.rsa.noise_ceiling(c["rdm"]), ValueError, "at least 2 subjects",
     "clear"),
    ("cka different stimulus counts", lambda c: nc.rsa.cka(c["x"], c["x"][:5]), ValueError, "5 stimuli", "clear"),
    ("fdr_bh p outside [0, 1]", lambda c: nc.rsa.fdr_bh([0.1, 1.5, -1]), ValueError, "p-values lie in [0, 1]",
     "fixed"),
    ("fdr_bh with a NaN p", _fdr_nan, None, "", "fixed"),
    # decoding and probes
    ("decode the whole tree", lambda c: nc.decoding.decode(c["acts"], "category"), TypeError,
     "got an activation tree", "fixed"),
    ("decode unknown target", lambda c: nc.decoding.decode(c["layer"], "colour"), ValueError,
     "'colour' is not a stimulus factor", "clear"),
    ("decode cv=1", lambda c: nc.decoding.decode(c["layer"], "category", cv=1), ValueError, "'cv'", "clear"),
    ("decode cv=1000", lambda c: nc.decoding.decode(c["layer"], "x", cv=1000), ValueError,
     "1000 folds need at least 1000 stimuli", "clear"),
    ("decode cv='loo'", lambda c: nc.decoding.decode(c["layer"], "x", cv="loo"), TypeError,
     "expected a number of folds", "fixed"),
    ("decode groups of the wrong length", lambda c: nc.decoding.decode(c["layer"], "x", groups=[1, 2]), ValueError,
     "'groups': expected one value per stimulus", "clear"),
    ("decode pca=10000", lambda c: nc.decoding.decode(c["layer"], "x", pca=10000), ValueError,
     "'pca': 10000 components, but at most", "fixed"),
    ("decode a constant target", lambda c: nc.decoding.decode(
        c["layer"].assign_coords(x=("stimulus", np.ones(16))), "x"), ValueError, "is constant", "clear"),
    ("decode an estimator that is not one", lambda c: nc.decoding.decode(c["layer"], "x", estimator=object()),
     TypeError, "'estimator'", "clear"),
    ("decode random_state=-1", lambda c: nc.decoding.decode(c["layer"], "x", random_state=-1), ValueError,
     "'random_state'", "clear"),
    ("what_where a numpy array", lambda c: nc.probes.what_where(np.zeros((3, 3)), c["stim"]), TypeError,
     "expected an activation tree", "clear"),
    ("what_where split typo", lambda c: nc.probes.what_where(c["acts"], c["stim"], split="sise"), ValueError,
     "'sise' is not a stimulus factor", "clear"),
    ("cross_readout of another table", lambda c: nc.probes.cross_readout(pd.DataFrame({"a": [1]})), ValueError,
     "missing column(s)", "fixed"),
    ("units_curve n_units=[10**6]", lambda c: nc.probes.units_curve(c["acts"], c["stim"], n_units=[10 ** 6]),
     ValueError, "'n_units': expected an integer in [1, 32]", "fixed"),
    ("units_curve n_units=[-1]", lambda c: nc.probes.units_curve(c["acts"], c["stim"], n_units=[-1]), ValueError,
     "'n_units'", "fixed"),
    # cam
    ("cam method typo", lambda c: nc.cam.compute(c["net"], c["stim"], method="gradcm"), ValueError,
     "Did you mean 'gradcam'", "clear"),
    ("cam layer typo", lambda c: nc.cam.compute(c["net"], c["stim"], layer="blok3"), KeyError,
     "Close matches: 'block3'", "clear"),
    ("cam class index out of range", lambda c: nc.cam.compute(c["net"], c["stim"], target=999), ValueError,
     "class index 999 is out of range", "clear"),
    ("cam on an empty subset", lambda c: nc.cam.compute(c["net"], c["stim"].subset([])), ValueError,
     "holds no stimuli", "fixed"),
    # saliency
    ("nss maps of different shapes", lambda c: nc.saliency.nss(np.ones((4, 4)), np.ones((5, 5))), ValueError,
     "resize=True", "clear"),
    ("nss without fixations", lambda c: nc.saliency.nss(np.eye(4) + 1, np.zeros((4, 4))), ValueError,
     "the fixation map is empty", "clear"),
    ("nss NaN in the map", lambda c: nc.saliency.nss(np.where(np.eye(4) > 0, np.nan, 1.0), np.eye(4)), ValueError,
     "NaN or infinite values", "clear"),
    ("kl of all-zero maps", lambda c: nc.saliency.kl(np.zeros((4, 4)), np.zeros((4, 4))), ValueError,
     "zero everywhere", "clear"),
    ("make_center_bias((0, 5))", lambda c: nc.saliency.make_center_bias((0, 5)), ValueError,
     "expected positive (height, width)", "clear"),
    ("fixations with wrong columns", lambda c: nc.saliency.check_fixations(pd.DataFrame({"a": [1]})), ValueError,
     "missing column(s)", "clear"),
    ("fixation outside its image", lambda c: nc.saliency.fixation_map(_fix(x=[100.0]), "s"), ValueError,
     "fall outside their image", "clear"),
    ("fixation at NaN", lambda c: nc.saliency.fixation_map(_fix(x=[np.nan]), "s"), ValueError,
     "missing or non-numeric", "clear"),
    ("read_saliency_map of a text file", lambda c: nc.saliency.read_saliency_map(_file(c, "m.txt", "x")), ValueError,
     "is not a readable image", "fixed"),
    ("salicon JSON that is not JSON", lambda c: nc.saliency.load_salicon_fixations(_file(c, "f.json", "{not")),
     ValueError, "is not valid JSON", "clear"),
    # behavior
    ("load_trials without the columns", lambda c: nc.behavior.load_trials(pd.DataFrame({"a": [1]})), ValueError,
     "Map them with columns=", "clear"),
    ("load_trials of random bytes", lambda c: nc.behavior.load_trials(_file(c, "t.csv", bytes(range(256)) * 2)),
     ValueError, "The trial table", "clear"),
    ("trial CSV with a BOM", _bom_trials, None, "", "fixed"),
    ("accuracy ci=95", lambda c: nc.behavior.accuracy(_trials(), ci=95), ValueError, "'ci'", "clear"),
    ("psychometric guess=1.5", lambda c: nc.behavior.psychometric(np.arange(3.0), location=0, spread=1, guess=1.5,
                                                                  lapse=0), ValueError, "'guess'", "fixed"),
    ("psychometric spread=0", lambda c: nc.behavior.psychometric(np.arange(3.0), location=0, spread=0, guess=0.5,
                                                                 lapse=0), ValueError, "'spread'", "fixed"),
    ("model_trials mapping typo", lambda c: nc.behavior.model_trials(c["net"], c["stim"], mapping="imagenet61"),
     ValueError, "Did you mean 'imagenet16'", "clear"),
    # study
    ("read_study missing file", lambda c: nc.study.read_study(c["root"] / "none.toml"), FileNotFoundError,
     "does not exist", "clear"),
    ("read_study not TOML", lambda c: nc.study.read_study(_file(c, "s.toml", "this is = = not toml")),
     nc.study.StudyError, "not valid TOML", "clear"),
    ("read_study empty file", lambda c: nc.study.read_study(_file(c, "e.toml", "")), nc.study.StudyError,
     "stimuli: missing (required)", "clear"),
    # plotting
    ("plot_layer_profile of an empty table", lambda c: nc.plotting.plot_layer_profile(pd.DataFrame()), ValueError,
     "missing column(s)", "clear"),
    ("plot_probe_profile of a file name", lambda c: nc.plotting.plot_probe_profile("results.csv"), TypeError,
     "read a saved table with pandas.read_csv first", "fixed"),
    ("plot_layer_pca of a numpy array", lambda c: nc.plotting.plot_layer_pca(np.zeros((3, 3))), TypeError,
     "expected one layer's activations as a DataArray", "fixed"),
    ("plot_rdm of a plain array", _plot_rdm_array, None, "", "fixed"),
]


def _txt_png(c):
    d = c["root"] / "txtimg"
    (d / "cat").mkdir(parents=True, exist_ok=True)
    (d / "cat" / "a.png").write_text("hello")
    return d


def _mat(c, name, content):
    import scipy.io

    scipy.io.savemat(c["root"] / name, content)
    return c["root"] / name


def _npy(c, name, arr):
    np.save(c["root"] / name, arr, allow_pickle=True)
    return c["root"] / name


@pytest.mark.parametrize("call, expected, match", [pytest.param(f, e, m, id=i) for i, f, e, m, _ in CASES])
def test_outsider_case(ctx, call, expected, match):
    if expected is None:
        call(ctx)
    else:
        with pytest.raises(expected, match=re.escape(match)):
            call(ctx)


def test_case_ids_are_unique():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


def test_tally_matches_the_docs():
    tried, fixed = len(CASES), sum(c[4] == "fixed" for c in CASES)
    assert {c[4] for c in CASES} <= {"clear", "fixed"}
    text = DOCS.read_text(encoding="utf-8")
    line = f"| {tried} | {tried - fixed} | {fixed} | 0 |"
    assert line in text, f"docs/reliability.md should carry the tally row {line!r}"
