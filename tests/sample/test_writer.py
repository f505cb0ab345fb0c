import zipfile

from sdtm.sample.writer import CsvSink, XlsxSink, column_letter, read_xlsx_rows


def test_xlsx_round_trip_keeps_text_escapes_and_empty_cells(tmp_path):
    path = tmp_path / "x.xlsx"
    sink = XlsxSink(path, ("A", "B", "C"), "LD")
    sink.write([("1", "", "a & <b>"), ("Fièvre", "  x", "")])
    sink.close()
    assert read_xlsx_rows(path) == [("A", "B", "C"), ("1", "", "a & <b>"), ("Fièvre", "  x", "")]


def test_xlsx_bytes_do_not_depend_on_write_time(tmp_path):
    paths = []
    for name in ("a.xlsx", "b.xlsx"):
        sink = XlsxSink(tmp_path / name, ("A",), "S")
        sink.write([("1",)])
        sink.close()
        paths.append(tmp_path / name)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    with zipfile.ZipFile(paths[0]) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2024, 11, 1, 0, 0, 0)}


def test_csv_sink_quotes_only_when_needed(tmp_path):
    path = tmp_path / "x.csv"
    sink = CsvSink(path, ("A", "B"))
    sink.write([("a,b", 'say "hi"'), ("plain", "")])
    sink.close()
    assert path.read_text(encoding="utf-8") == 'A,B\n"a,b","say ""hi"""\nplain,\n'


def test_column_letter():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A", "Z", "AA", "AB", "ZZ", "AAA"]
