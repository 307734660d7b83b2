"""`asr lm`, `asr evaluate` with every strategy, `asr report` rendered in headless Chromium, and
`asr transcribe --lm --json` with word timings, on the tiny trained run."""

import json
import re
import shutil
import subprocess

import pytest

from tests.test_cli import asr

SPLITS = ("dev", "test")


@pytest.fixture(scope="module")
def evaluated_run(tiny_run, tiny_data):
    lm = asr("lm", "--data-dir", tiny_data, "--order", "2")
    assert lm.returncode == 0, lm.stderr
    arpa = tiny_data / "lm" / "2gram.arpa"
    result = asr("evaluate", "--run-dir", tiny_run, "--data-dir", tiny_data, *sum([["--split", s] for s in SPLITS], []),
                 "--strategy", "greedy", "--strategy", "beam", "--strategy", "beam_lm", "--lm", arpa)
    assert result.returncode == 0, result.stderr
    return tiny_run, result.stdout


def test_evaluate_tunes_the_lm_on_dev_and_reports_every_strategy_with_an_interval(evaluated_run):
    run, stdout = evaluated_run
    weights = json.loads((run / "decode" / "lm_weights.json").read_text())
    assert weights["tuned_on"] == "dev" and len(weights["grid"]) == 20
    assert weights["wer"] == min(g["wer"] for g in weights["grid"])
    for split in SPLITS:
        for folder in (split, f"{split}_beam", f"{split}_beam_lm"):
            scores = json.loads((run / "decode" / folder / "wer.json").read_text())
            low, high = scores["wer_ci95"]
            assert low <= scores["wer"] <= high
            for name in ("hyp.txt", "alignments.txt", "speakers.tsv", "errors.txt", "utterances.jsonl"):
                assert (run / "decode" / folder / name).is_file()
    assert len(re.findall(r"WER .*\[95% CI", stdout)) == 6


def test_results_table_has_a_row_per_strategy_and_the_paired_comparison(evaluated_run):
    from asr.evaluation.results import results_table
    run, _ = evaluated_run
    table = results_table(run, list(SPLITS))
    assert len([line for line in table.splitlines() if line.startswith("| dev |")]) == 3
    assert "P(beam_lm better than greedy)" in table and "tuned on dev" in table


def test_a_split_decoded_without_greedy_is_listed_with_nothing_to_pair_it_with(tiny_run, tiny_data, tmp_path):
    """`asr evaluate --strategy beam` alone: the table and the page list it; no comparison with a greedy never run."""
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("decode"))
    beam = asr("evaluate", "--run-dir", run, "--data-dir", tiny_data, "--split", "dev", "--strategy", "beam")
    assert beam.returncode == 0, beam.stderr
    results = asr("results", run, "dev")
    assert results.returncode == 0, results.stderr
    assert "| dev | beam |" in results.stdout and "better than greedy" not in results.stdout
    report = asr("report", "--run-dir", run, "--data-dir", tiny_data, "--split", "dev")
    assert report.returncode == 0, report.stderr
    assert "Paired comparisons" not in (run / "report.html").read_text()


def test_the_results_name_the_models_commit_and_the_printing_codes(evaluated_run, tmp_path):
    """A run scored again later (or on another corpus) was trained by other code than the one printing it."""
    import json

    from asr.evaluation.results import results_table
    run, _ = evaluated_run
    older = tmp_path / "older"
    shutil.copytree(run, older)
    record = json.loads((older / "model" / "model.json").read_text())
    (older / "model" / "model.json").write_text(json.dumps({**record, "commit": "0ld0ld0"}))
    table = results_table(older, list(SPLITS))
    assert f"trained by asr {record['version']}, commit 0ld0ld0; table printed by asr " in table


def test_html_report_renders_in_headless_chromium_with_all_its_images(evaluated_run, tiny_data, tmp_path):
    run, _ = evaluated_run
    result = asr("report", "--run-dir", run, "--data-dir", tiny_data, "--split", "dev", "--split", "test",
                 "--compare", run)
    assert result.returncode == 0, result.stderr
    page = (run / "report.html").read_text()
    for heading in ("Results", "Paired comparisons", "Training curves", "WER by utterance length",
                    "Worst utterances", "Inside the model"):
        assert f"<h2>{heading}" in page
    assert "src=\"http" not in page  # self-contained
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "chromium is not installed (make test installs the Debian package)"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000"]
    dom = subprocess.run([browser, *flags, "--dump-dom", (run / "report.html").as_uri()], capture_output=True,
                         text=True, timeout=120).stdout
    total = re.search(r'data-images-total="(\d+)"', dom)
    rendered = re.search(r'data-images-rendered="(\d+)"', dom)
    assert total and rendered, "the page's load script did not run"
    # curves, lengths, five worst utterances, the gates of both layers; gradient views if the model emitted text
    assert int(total.group(1)) == int(rendered.group(1)) >= 2 + 5 + 2
    subprocess.run([browser, *flags, "--window-size=1200,3000", f"--screenshot={tmp_path / 'page.png'}",
                    (run / "report.html").as_uri()], capture_output=True, timeout=120)
    assert (tmp_path / "page.png").stat().st_size > 50_000


def test_report_before_evaluate_is_one_line(tiny_data, tmp_path):
    result = asr("report", "--run-dir", tmp_path, "--data-dir", tiny_data, "--split", "dev")
    assert result.returncode == 1 and "not evaluated" in result.stderr and "Traceback" not in result.stderr


def test_transcribe_with_the_runs_lm_gives_timed_words(evaluated_run, tiny_data):
    run, _ = evaluated_run
    rows = [json.loads(line) for line in (tiny_data / "manifests" / "test.jsonl").read_text().splitlines()][:3]
    for extra in ([], ["--lm"]):
        result = asr("transcribe", "--model", run, "--json", *extra, *[r["audio"] for r in rows])
        assert result.returncode == 0, result.stderr
        for item in json.loads(result.stdout):
            words = item["words"]
            assert " ".join(w["word"] for w in words) == item["text"]
            assert all(0 <= w["start"] < w["end"] <= item["duration"] + 0.05 for w in words)
            assert all(a["end"] <= b["start"] for a, b in zip(words, words[1:]))
            assert all(0.0 <= w["confidence"] <= 1.0 for w in words)


def test_transcribe_with_a_missing_lm_file_is_one_line(tiny_run, tmp_path):
    result = asr("transcribe", "--model", tiny_run, "--lm-arpa", tmp_path / "none.arpa", tmp_path / "x.wav")
    assert result.returncode == 1 and "LM file not found" in result.stderr and "Traceback" not in result.stderr


def test_training_curves_of_a_run_without_its_tensorboard_folder(evaluated_run, tmp_path):
    """A run copied without tensorboard/ (as recipes/synth_en/compare.sh links only the record) still gets its
    dev curves, without the per-step train loss."""
    from asr.evaluation.html_report import curves_section
    run, _ = evaluated_run
    copy = tmp_path / "copy"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("tensorboard"))
    assert "<h2>Training curves</h2><img" in curves_section(copy)


def test_what_is_current_is_kept_and_a_change_is_decoded_again(evaluated_run, tiny_data, tmp_path):
    """A finished recipe run again: `asr report` and `asr evaluate` keep pages and reports that are current for
    their weights, features and decoders, and decode again when one of those changed."""
    run = shutil.copytree(evaluated_run[0], tmp_path / "run")
    splits = sum([["--split", s] for s in SPLITS], [])
    first, again = (asr("report", "--run-dir", run, "--data-dir", tiny_data, *splits) for _ in range(2))
    assert first.stdout.splitlines()[-1] == f"wrote {run / 'report.html'}"
    assert again.stdout.splitlines()[-1].startswith(f"kept {run / 'report.html'}: current")
    wer = run / "decode" / "test_beam" / "wer.json"
    before = wer.read_text()
    evaluate = ["evaluate", "--run-dir", run, "--data-dir", tiny_data, *splits, "--strategy", "greedy",
                "--strategy", "beam", "--strategy", "beam_lm", "--lm", tiny_data / "lm" / "2gram.arpa"]
    kept = asr(*evaluate)
    assert kept.returncode == 0 and "every report is current" in kept.stdout + kept.stderr, kept.stderr
    assert len(re.findall(r"WER .*\[95% CI", kept.stdout)) == 6 and wer.read_text() == before
    other_beam = asr(*evaluate, "--beam-width", "3")
    assert other_beam.returncode == 0 and "every report is current" not in other_beam.stdout + other_beam.stderr
    assert json.loads(wer.read_text())["decoded_with"]["beam_width"] == 3
