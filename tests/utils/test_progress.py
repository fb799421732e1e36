"""Plain progress lines where no live bar renders (log files, pipes, cluster jobs)."""
import io

from neurocompare._utils import progress as P


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_lines_every_interval_with_time_left():
    clock, out = Clock(), io.StringIO()
    p = P.LineProgress(60, "alexnet: scorecam", interval=30, stream=out, clock=clock)
    clock.t = 10
    p(6)                                   # before the first interval: nothing
    assert out.getvalue() == ""
    clock.t = 40
    p(6)                                   # 12/60 after 40 s: 160 s left
    assert out.getvalue().strip() == "alexnet: scorecam: 12/60 (20%), 40 s elapsed, about 2 min 40 s left"
    clock.t = 50
    p(12)                                  # within 30 s of the last line: nothing new
    assert out.getvalue().count("\n") == 1
    clock.t = 75
    p(0)
    p.finish()
    lines = out.getvalue().strip().splitlines()
    assert lines[1] == "alexnet: scorecam: 24/60 (40%), 1 min 15 s elapsed, about 1 min 52 s left"
    assert lines[2] == "alexnet: scorecam: done in 1 min 15 s"


def test_short_steps_print_nothing():
    clock, out = Clock(), io.StringIO()
    p = P.LineProgress(5, "quick", stream=out, clock=clock)
    for _ in range(5):
        clock.t += 1
        p()
    p.finish()
    assert out.getvalue() == ""


def test_format_seconds():
    assert [P.format_seconds(s) for s in (0.4, 59, 61, 3599, 7620)] == ["0 s", "59 s", "1 min 01 s", "59 min 59 s",
                                                                         "2 h 07 min"]


def test_not_a_terminal_gives_lines(monkeypatch, capsys):
    monkeypatch.setattr(P, "interactive", lambda: False)
    monkeypatch.setattr(P, "LINE_INTERVAL", 0.0)
    with P.progress_bar(3, "step") as advance:
        for _ in range(3):
            advance()
    err = capsys.readouterr().err
    assert "step: 3/3 (100%)" in err and "step: done in" in err


def test_describe_names_the_step_at_once_in_a_log():
    clock, out = Clock(), io.StringIO()
    p = P.LineProgress(4, "study", interval=30, stream=out, clock=clock)
    clock.t = 5
    p.describe("study, stage 2/4: extract resnet18 (18 stimuli)")
    assert out.getvalue().strip() == "study, stage 2/4: extract resnet18 (18 stimuli): 0/4 (0%), 5 s elapsed"
    clock.t = 20
    p(1)                                   # within 30 s of the stage line: nothing new
    assert out.getvalue().count("\n") == 1


def test_disabled_progress_has_describe():
    with P.progress_bar(3, "x", enable=False) as advance:
        advance(1)
        advance.describe("y")
