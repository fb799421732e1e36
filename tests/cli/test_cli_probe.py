import pandas as pd
from typer.testing import CliRunner

from neurocompare.cli import app

runner = CliRunner()


def test_probe_command(train_set, trained_twostream, tmp_path):
    import neurocompare as nc

    acts = tmp_path / "acts.nc"
    nc.extract(trained_twostream, train_set, layers=["block1", "ventral.fc", "dorsal.fc"], out=acts, progress=False)
    out = tmp_path / "probe"
    res = runner.invoke(app, ["probe", str(acts), "--stimuli", str(train_set.root), "--what", "category",
                              "--where", "x", "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "tables" / "probes.csv")
    assert set(table.target) == {"category", "x"} and len(set(table.layer)) == 3
    assert (out / "figures" / "profile_twostreamnet.png").is_file()
    assert (out / "figures" / "cross_readout_twostreamnet.pdf").is_file()
    res = runner.invoke(app, ["probe", str(acts), "--stimuli", str(train_set.root), "--what", "shape"])
    assert res.exit_code == 1 and "'shape' is not a stimulus factor" in res.output
