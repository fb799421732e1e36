import hashlib

import numpy as np
import pandas as pd
import pytest

from neurocompare.stimuli import SHAPES, make_whatwhere
from neurocompare.stimuli._shapes import outline, place
from neurocompare.stimuli._whatwhere import _coverage


def _digest(folder):
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(f.relative_to(folder).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def test_layout_and_factors(small_set):
    md = small_set.metadata
    assert len(small_set) == 24
    assert (small_set.root / "stimuli.csv").is_file() and (small_set.root / "stimuli.toml").is_file()
    assert small_set.what == ("category", "identity")
    assert small_set.where[:4] == ("x", "y", "size", "rotation")
    assert sorted(md.category.unique()) == sorted(SHAPES[:6])
    assert (md.groupby("category").size() == 4).all()
    # identity is balanced within category and nested in it
    assert set(md.identity) == {f"{c}_{i}" for c in SHAPES[:6] for i in (0, 1)}
    assert md.x.between(0.25, 0.75).all() and md.y.between(0.25, 0.75).all()
    assert md["size"].between(0.3, 0.5).all()
    assert md.rotation.between(0, 360).all() and md.luminance.between(0.65, 1.0).all()
    for sid in md.index[:3]:
        img = np.asarray(small_set.load_image(sid))
        assert img.shape == (32, 32, 3) and img.dtype == np.uint8


def test_masks_and_boxes_are_exact(small_set):
    md = small_set.metadata
    for sid, row in md.iterrows():
        mask = small_set.load_mask(sid)
        rr, cc = np.nonzero(mask)
        assert (row.bbox_x0, row.bbox_y0, row.bbox_x1, row.bbox_y1) == (cc.min(), rr.min(), cc.max() + 1, rr.max() + 1)
        assert row.area == pytest.approx(mask.mean(), abs=1e-6)
        # the mask is the set of pixels the target covers at least half (recomputed from the geometry)
        ident = int(row.identity.rsplit("_", 1)[1])
        pts = place(outline(row.category, ident), cx=row.x * 32, cy=row.y * 32, radius=row["size"] * 16,
                    rotation_deg=row.rotation)
        np.testing.assert_array_equal(mask, _coverage(pts, 32) >= 0.5)
        # on a blank background the target pixels are (near) its luminance
        img = np.asarray(small_set.load_image(sid)).astype(float) / 255
        core = np.asarray(_coverage(pts, 32)) == 1.0
        np.testing.assert_allclose(img[core, 0], row.luminance, atol=1 / 255 + 1e-6)
        # the shape's centre of mass is near the controlled position
        assert abs(cc.mean() / 32 - row.x) < 0.12 and abs(rr.mean() / 32 - row.y) < 0.12


def test_deterministic_for_a_seed(tmp_path):
    a = make_whatwhere(tmp_path / "a", n_per_category=2, image_size=24, categories=3, random_state=5, clutter=1,
                       background="noise")
    b = make_whatwhere(tmp_path / "b", n_per_category=2, image_size=24, categories=3, random_state=5, clutter=1,
                       background="noise")
    c = make_whatwhere(tmp_path / "c", n_per_category=2, image_size=24, categories=3, random_state=6, clutter=1,
                       background="noise")
    assert _digest(a.root) == _digest(b.root)
    assert _digest(a.root) != _digest(c.root)
    pd.testing.assert_frame_equal(a.metadata, b.metadata)


@pytest.mark.parametrize("background", ["blank", "noise", "texture"])
def test_backgrounds_clutter_and_colour(tmp_path, background):
    st = make_whatwhere(tmp_path / background, n_per_category=2, image_size=32, categories=6, background=background,
                        clutter=2, color=True, random_state=3)
    assert "hue" in st.metadata and st.metadata.hue.between(0, 1).all()
    img = np.asarray(st.load_image(0)).astype(float)
    mask = st.load_mask(0)
    bg = img[~mask].std(axis=0).mean()
    if background == "blank":
        # only the distractors vary the background
        assert np.median(img[~mask], axis=0).tolist() == [round(0.3 * 255)] * 3
    else:
        assert bg > 5
    # colour: the target is not grey
    assert np.ptp(img[mask].mean(axis=0)) > 10


def test_categories_by_name_and_number(tmp_path):
    st = make_whatwhere(tmp_path / "n", n_per_category=1, image_size=16, categories=["star", "cross"])
    assert list(st.metadata.category) == ["star", "cross"]


@pytest.mark.parametrize("kwargs, match", [
    ({"n_per_category": 0}, "n_per_category"),
    ({"image_size": 8}, "image_size"),
    ({"background": "plaid"}, "'background'.*got 'plaid'"),
    ({"categories": ["star", "blob"]}, "'categories'.*got 'blob'"),
    ({"categories": 1}, "categories"),
    ({"size_range": (0.5, 0.2)}, "size_range"),
    ({"size_range": (0.01, 0.2)}, "size_range.*3 pixels"),
    ({"random_state": -1}, "random_state"),
])
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_whatwhere(tmp_path / "x", **{"n_per_category": 1, **kwargs})
    assert not any(tmp_path.iterdir())


def test_nothing_half_written_on_failure(tmp_path, monkeypatch):
    import neurocompare.stimuli._whatwhere as ww

    calls = {"n": 0}
    real = ww._render

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(ww, "_render", failing)
    with pytest.raises(OSError, match="disk full"):
        make_whatwhere(tmp_path / "out", n_per_category=2, image_size=16, categories=2)
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_needs_overwrite(tmp_path):
    make_whatwhere(tmp_path / "s", n_per_category=1, image_size=16, categories=2)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        make_whatwhere(tmp_path / "s", n_per_category=1, image_size=16, categories=2)
    st = make_whatwhere(tmp_path / "s", n_per_category=2, image_size=16, categories=2, overwrite=True)
    assert len(st) == 4 and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
