import pytest

from sdtm.export.define_metadata import DefineMetadata, VariableOrigin, default_origin


@pytest.mark.parametrize(
    ("variable", "origin_type", "method_id"),
    [
        ("STUDYID", "Assigned", None),
        ("DOMAIN", "Assigned", None),
        ("USUBJID", "Derived", "USUBJID"),
        ("AESEQ", "Derived", "SEQ"),
        ("AESTDY", "Derived", "STUDYDAY"),
        ("LBDY", "Derived", "STUDYDAY"),
        ("AETERM", "Collected", None),
    ],
    ids=["studyid", "domain", "usubjid", "seq", "stdy", "dy", "other"],
)
def test_default_origin(variable, origin_type, method_id):
    origin = default_origin("AE", variable)
    assert (origin.origin_type, origin.method_id) == (origin_type, method_id)


def test_given_origin_wins_over_default():
    given = VariableOrigin("AE", "AESEQ", "Protocol", method_text="Fixed by protocol")
    metadata = DefineMetadata(origins=(given,))
    assert metadata.origin("AE", "AESEQ") is given
    assert metadata.origin("CM", "CMSEQ").origin_type == "Derived"


def test_define_metadata_survives_pickling_with_its_read_only_comments():
    """Worker processes send results holding the metadata back pickled (sdtm.workers)."""
    import pickle
    from types import MappingProxyType

    from sdtm.export.define_metadata import DefineMetadata, StudyInfo, VariableOrigin

    metadata = DefineMetadata(
        study=StudyInfo(study_oid="S1"),
        origins=(VariableOrigin("AE", "AESEV", "Collected"),),
        dataset_comments=MappingProxyType({"AE": "One record per event"}),
    )
    copy = pickle.loads(pickle.dumps(metadata))
    assert copy == metadata
    assert isinstance(copy.dataset_comments, MappingProxyType)
    assert copy.origin("AE", "AESEV").origin_type == "Collected"
