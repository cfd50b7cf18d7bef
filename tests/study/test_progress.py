"""Progress lines: at most every 10 s, with the count, the rate and the time left."""
from gans.study.progress import Progress, duration


def test_lines_come_every_ten_seconds_with_rate_and_time_left():
    now = [0.0]
    said = []
    with Progress(1000, "reference statistics: cifar10", said.append, clock=lambda: now[0]) as bar:
        for _ in range(10):  # 100 images every 4 s: 25 images/s
            now[0] += 4
            bar.update(100)
    assert said == [
        "reference statistics: cifar10: 300/1,000 images, 25.0 images/s, about 28 s left",  # at 12 s
        "reference statistics: cifar10: 600/1,000 images, 25.0 images/s, about 16 s left",  # at 24 s
        "reference statistics: cifar10: 900/1,000 images, 25.0 images/s, about 4 s left",  # at 36 s, not 32
        "reference statistics: cifar10: 1,000 images in 40 s (25.0 images/s)",
    ]


def test_durations_read_as_forecasts():
    assert (duration(45), duration(12 * 60), duration(3.4 * 3600)) == ("45 s", "12 min", "3.4 h")


def test_a_running_run_says_its_step_rate_and_time_left(tmp_path):
    import json

    from gans.config import resolve
    from gans.study.progress import run_progress

    cfg = resolve({"preset": "sngan", "steps": 1500, "out": str(tmp_path / "sngan-seed0")})
    assert run_progress(cfg) == "sngan-seed0 starting"
    (tmp_path / "sngan-seed0").mkdir()
    rows = [{"step": 900, "steps_per_s": 0.4}, {"step": 975, "steps_per_s": 0.5}]
    (tmp_path / "sngan-seed0" / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert run_progress(cfg) == "sngan-seed0 at step 975/1,500 (0.50 steps/s, about 18 min left)"
    (tmp_path / "sngan-seed0" / "metrics.jsonl").write_text(json.dumps({"step": 1500, "steps_per_s": 0.5}) + "\n")
    assert run_progress(cfg) == "sngan-seed0 trained, scoring"
