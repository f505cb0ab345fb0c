from click.testing import CliRunner

from sdtm.cli import build_app


def run(*args):
    return CliRunner().invoke(build_app(), list(args), standalone_mode=False)


def test_rule_prints_one_rule():
    result = run("rule", "xr0004")
    assert result.exception is None, result.output
    lines = result.output.splitlines()
    assert lines[0] == "# XR0004 first-exposure-not-earliest-exstdtc"
    assert "- CDISC CORE: CORE-000239 (CG0148)" in lines


def test_rule_unknown_id_is_a_usage_error():
    result = run("rule", "XX9999")
    assert type(result.exception).__name__ == "SpecError"
    assert "unknown rule id 'XX9999'" in str(result.exception)


def test_rules_lists_every_rule_with_its_default():
    result = run("rules")
    assert result.exception is None, result.output
    lines = result.output.splitlines()
    index = next(i for i, line in enumerate(lines) if "XR0009" in line)
    assert "off" in lines[index]
    # The name may wrap onto the following line(s) in a narrow terminal.
    name = "".join(line.split("│")[-2].strip() for line in lines[index : index + 3])
    assert name.startswith("reference-start-after-first-exposure")


def test_rules_write_and_check_docs(tmp_path):
    out = tmp_path / "rules"
    assert run("rules", "--check-docs", str(out)).return_value == 1
    written = run("rules", "--write-docs", str(out))
    assert written.return_value == 0
    assert (out / "ST0064.md").read_text().startswith("# ST0064 start-after-end\n")
    assert run("rules", "--check-docs", str(out)).return_value == 0
