"""Application configuration through the official client: the settings cascade at app level."""

from __future__ import annotations

import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from tests.contract.helpers import message, new_child_app


@pytest.fixture
def api(live_server):
    _, creds = new_child_app(live_server)
    return cloud.ApplicationManagementApi(live_server.client(creds))


def _items(api, **kw):
    return {i.id: i for i in api.get_application_configuration(**kw).setting_items}


def _set(api, setting_id, value, **kw):
    api.set_application_configuration(
        cloud.SettingsPostSchema(settings=[cloud.SettingsIndividualSchema(setting_id=setting_id, value=value)]), **kw)


def test_defaults_with_metadata(api):
    items = _items(api, include_metadata=True)
    assert {"ApiRollupRegistrationPostBackUrl", "PlayerLaunchType", "WebPathToContentRoot"} <= set(items)
    launch = items["PlayerLaunchType"]
    assert launch.effective_value_source == "default" and launch.explicit_value is None
    assert launch.metadata.default == launch.effective_value
    assert "NEW_WINDOW" in [v.value for v in launch.metadata.valid_values]
    assert launch.metadata.setting_description
    plain = _items(api)
    assert plain["PlayerLaunchType"].metadata is None


def test_set_read_and_delete_at_application_level(api):
    _set(api, "PlayerLaunchType", "new_window")  # enums are matched without regard to case
    item = _items(api)["PlayerLaunchType"]
    assert (item.effective_value, item.effective_value_source, item.explicit_value) == (
        "NEW_WINDOW", "application", "NEW_WINDOW")
    api.delete_application_configuration_setting("PlayerLaunchType")
    item = _items(api)["PlayerLaunchType"]
    assert item.effective_value_source == "default" and item.explicit_value is None


def test_booleans_are_normalised(api):
    _set(api, "PlayerShowNavBar", "YES")
    assert _items(api)["PlayerShowNavBar"].effective_value == "true"


def test_learning_standard_level_overrides_application_level(api):
    _set(api, "PlayerCommCommitFrequency", "20000")
    _set(api, "PlayerCommCommitFrequency", "3000", learning_standard="SCORM12", single_sco=True)
    scoped = _items(api, learning_standard="SCORM12", single_sco=True)["PlayerCommCommitFrequency"]
    assert (scoped.effective_value, scoped.effective_value_source, scoped.explicit_value) == (
        "3000", "learningStandardForApplication", "3000")
    other = _items(api, learning_standard="SCORM12", single_sco=False)["PlayerCommCommitFrequency"]
    assert (other.effective_value, other.effective_value_source, other.explicit_value) == (
        "20000", "application", None)
    assert _items(api)["PlayerCommCommitFrequency"].effective_value == "20000"
    api.delete_application_configuration_setting("PlayerCommCommitFrequency", learning_standard="SCORM12",
                                                  single_sco=True)
    assert _items(api, learning_standard="SCORM12", single_sco=True)["PlayerCommCommitFrequency"].effective_value == "20000"


def test_invalid_value_names_the_setting(api):
    with pytest.raises(ApiException) as err:
        _set(api, "PlayerCommCommitFrequency", "often")
    assert err.value.status == 400 and "PlayerCommCommitFrequency" in message(err.value)


def test_delete_unknown_setting(api):
    with pytest.raises(ApiException) as err:
        api.delete_application_configuration_setting("NoSuchSetting")
    assert err.value.status in (400, 404) and "NoSuchSetting" in message(err.value)
