"""LearnerApi through the official client: tags, batch tags, UpdateLearnerInfo, DeleteAllLearnerData."""

from __future__ import annotations

import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from tests.contract.helpers import new_child_app
from tests.contract.registrations import reg_app, stored_registration


@pytest.fixture
def app(live_server, tmp_path):
    return reg_app(live_server, tmp_path)


def test_learner_tags(app):
    assert app.learners.get_learner_tags("lee").tags == []
    app.learners.put_learner_tags("lee", cloud.TagListSchema(tags=["a", "b", "c"]))
    app.learners.delete_learner_tags("lee", cloud.TagListSchema(tags=["b"]))
    assert app.learners.get_learner_tags("lee").tags == ["a", "c"]
    app.learners.put_learner_tags_batch(cloud.BatchTagsSchema(ids=["lee", "kim"], tags=["x"]))
    assert app.learners.get_learner_tags("lee").tags == ["x"] == app.learners.get_learner_tags("kim").tags
    assert app.http().put("/learner/tags", json={"ids": [], "tags": ["x"]}).status_code == 400
    assert app.http().put("/learner/lee/tags", json={"tags": "x"}).status_code == 400
    assert app.http().get("/learner/" + "l" * 256 + "/tags").status_code == 400


def test_update_learner_info_on_every_registration(app):
    first, second = app.create(learner_id="upd"), app.create(learner_id="upd")
    untouched = app.create(learner_id="someone-else")
    app.learners.update_learner_info("upd", cloud.LearnerSchema(id="upd", first_name="Grace", email="g@example.org"))
    for reg_id in (first, second):
        learner = app.regs.get_registration_progress(reg_id).learner
        assert (learner.id, learner.first_name, learner.last_name, learner.email) == \
            ("upd", "Grace", "Lovelace", "g@example.org")
    assert app.regs.get_registration_progress(untouched).learner.first_name == "Ada"
    app.learners.update_learner_info("upd", cloud.LearnerSchema(id="upd", last_name=""))
    assert stored_registration(app, first)["learner"]["lastName"] == ""
    with pytest.raises(ApiException) as err:
        app.learners.update_learner_info("nobody", cloud.LearnerSchema(id="nobody", first_name="X"))
    assert err.value.status == 404
    resp = app.http().post("/learner/upd/updateInfo", json={"id": "other", "firstName": "X"})
    assert resp.status_code == 400
    assert app.http().post("/learner/upd/updateInfo", content=b"{", headers={
        "Content-Type": "application/json"}).status_code == 400


def test_delete_all_learner_data(app, live_server):
    gone = [app.create(learner_id="forget-me"), app.create(learner_id="forget-me")]
    kept = app.create(learner_id="keep-me")
    app.learners.put_learner_tags("forget-me", cloud.TagListSchema(tags=["t"]))
    _, other_creds = new_child_app(live_server)
    other = cloud.LearnerApi(live_server.client(other_creds))
    other.delete_all_learner_data("forget-me", "admin@example.org")  # another application: nothing of ours
    assert app.regs.get_registration_progress(gone[0]).learner.id == "forget-me"
    app.learners.delete_all_learner_data("forget-me", "admin@example.org")
    for reg_id in gone:
        with pytest.raises(ApiException) as err:
            app.regs.get_registration_progress(reg_id)
        assert err.value.status == 404
    assert app.learners.get_learner_tags("forget-me").tags == []
    assert app.regs.get_registration_progress(kept).learner.id == "keep-me"
    assert app.http().post("/learner/keep-me/delete-information").status_code == 400  # userEmail required
    assert app.regs.get_registration_progress(kept).learner.id == "keep-me"
