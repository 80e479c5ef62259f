"""The player's one map of standards: every standard an import can produce is played."""

from coursehost.domain.standards import Delivery, LearningStandard, RuntimeFamily

IMPORTABLE = [s for s in LearningStandard if s not in (LearningStandard.LTI13, LearningStandard.UNKNOWN)]


def test_every_importable_standard_has_a_delivery():
    assert {s: s.delivery for s in IMPORTABLE if s.delivery is None} == {}


def test_each_standard_is_delivered_the_way_its_specification_says():
    assert {s.value: s.delivery for s in IMPORTABLE} == {
        "SCORM11": Delivery.RUNTIME_API, "SCORM12": Delivery.RUNTIME_API,
        "SCORM20042NDEDITION": Delivery.RUNTIME_API, "SCORM20043RDEDITION": Delivery.RUNTIME_API,
        "SCORM20044THEDITION": Delivery.RUNTIME_API, "AICC": Delivery.HACP,
        "XAPI": Delivery.LRS, "CMI5": Delivery.LRS}
    assert LearningStandard.AICC.family is RuntimeFamily.SCORM12 and not LearningStandard.AICC.uses_runtime_api


def test_standards_the_player_does_not_play_have_none():
    assert LearningStandard.LTI13.delivery is Delivery.LTI and LearningStandard.parse("nonsense").delivery is None
