"""The SALICON example images and fixations."""
from neurocompare.datasets import REGISTRY


def test_fetch_salicon_examples(data_dir):
    from neurocompare.datasets import fetch_salicon_examples

    sal = fetch_salicon_examples(data_dir=data_dir)
    assert len(sal.images) == 10 and all(p.is_file() for p in sal.images.values())
    assert set(sal.fixations.stimulus) == set(sal.images)
    assert len(sal.fixations) == 73630 and sal.sigma == 19.0 and sal.fixations.attrs["sigma"] == 19.0
    assert list(sal.fixations.columns[:6]) == ["stimulus", "subject", "x", "y", "width", "height"]
    assert "Jiang M" in sal.description and "b4a7af9" in sal.description
    assert set(sal.files) == set(REGISTRY["salicon_examples"])
    assert "10 images" in repr(sal)
