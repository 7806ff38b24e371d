from praho_cli.gendocs import stale_files


def test_generated_files_are_current():
    stale = stale_files()
    assert stale == [], f"out of date (run `python -m praho_cli.gendocs`): {[str(p) for p in stale]}"
