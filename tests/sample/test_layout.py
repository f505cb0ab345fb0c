"""The data dictionary documents every file, column and planted edge case the generator writes."""

import re

import pytest

from sdtm.sample.layout import EDC_KEYS, RAW_FILES, raw_file


@pytest.fixture(scope="module")
def readme(committed_dir) -> str:
    return (committed_dir / "README.md").read_text(encoding="utf-8")


def _section(readme: str, path: str) -> str:
    """Text of the README section whose heading names ``path`` (up to the next heading)."""
    start = next(m.end() for m in re.finditer(r"^##+ .*$", readme, re.M) if path in m.group(0))
    following = re.search(r"^##+ ", readme[start:], re.M)
    return readme[start: start + following.start()] if following else readme[start:]


@pytest.mark.parametrize("raw", RAW_FILES, ids=[f.key for f in RAW_FILES])
def test_every_column_is_documented_in_the_files_section(readme, raw):
    section = _section(readme, raw.path)
    own_columns = [c for c in raw.columns if c not in EDC_KEYS] if raw.form else raw.columns
    missing = [c for c in own_columns if f"| `{c}` |" not in section]
    assert missing == []
    assert f"`{raw.path}`" in _section(readme, "Files")


def test_edc_record_keys_are_documented(readme):
    conventions = _section(readme, "Conventions")
    assert [c for c in EDC_KEYS if f"| `{c}` |" not in conventions] == []


def test_all_36_edge_cases_are_listed_with_what_they_exercise(readme):
    section = _section(readme, "Planted edge cases")
    numbers = [int(m) for m in re.findall(r"^\| (\d+) \|", section, re.M)]
    assert numbers == list(range(1, 37))
    rows = [line for line in section.splitlines() if re.match(r"^\| \d+ \|", line)]
    # number, file, subject, planted item, what it exercises: all filled in.
    assert all(len([c for c in row.split("|") if c.strip()]) == 5 for row in rows)


def test_readme_states_data_are_synthetic_and_the_regeneration_command(readme):
    assert "**All data in this folder are synthetic.**" in readme
    assert "sdtm sample --subjects 26 --seed 20240312 --out sample_data/cart-psca-001" in readme


@pytest.mark.parametrize("raw", RAW_FILES, ids=[f.key for f in RAW_FILES])
def test_committed_headers_match_the_layout(study, raw):
    assert tuple(study[raw.key].columns) == raw.columns


def test_raw_file_lookup():
    assert raw_file("ld").is_xlsx
    assert raw_file("ae").path == "edc/ae.csv"
    with pytest.raises(KeyError, match="nope"):
        raw_file("nope")


def test_csv_files_are_utf8_with_lf_line_ends(committed_dir):
    for raw in RAW_FILES:
        if raw.is_xlsx:
            continue
        data = (committed_dir / raw.path).read_bytes()
        assert b"\r\n" not in data
        assert not data.startswith(b"\xef\xbb\xbf")
        data.decode("utf-8")
