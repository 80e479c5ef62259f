// One test per behaviour scorm-again-adapter.js changes, against the real scorm-again dist. Each
// states what scorm-again does alone ("alone") and what the adapter makes of it ("adapted"): after
// a scorm-again upgrade, an "alone" assertion that fails says the patch may no longer be needed
// (or needs rework), an "adapted" one that fails says the patch broke.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api12, api2004, call } from "./scorm-again.mjs";
import {
  acceptAnyResponse, elementsSetBySco, isTerminated, loadSharedData, navRequest, renderCmi,
  setRequestValid, writableSharedData,
} from "../../src/coursehost/static/player/scorm-again-adapter.js";

/** [result, error] of the same call on an API without and with the adapter (both initialized,
 * both prepared by SETUP). */
function compare(fn, args, setup = () => {}) {
  const alone = api2004({ raw: true });
  const adapted = api2004();
  setup(alone);
  setup(adapted);
  return { alone: call(alone, fn, ...args), adapted: call(adapted, fn, ...args), apis: { alone, adapted } };
}

const interaction = (type) => (api) => {
  api.SetValue("cmi.interactions.0.id", "i1");
  api.SetValue("cmi.interactions.0.type", type);
};

// ---- SetValue

test("SetValue on a container is 401 (RTE 3.1.7.6)", () => {
  const { alone, adapted } = compare("SetValue", ["cmi", "x"]);
  assert.deepEqual(alone, ["true", "0"]);
  assert.deepEqual(adapted, ["false", "401"]);
});

test("an identifier with white space or a malformed urn: is 406 (RTE 4.1.1.5)", () => {
  for (const value of ["urn:", "a b"]) {
    const { alone, adapted } = compare("SetValue", ["cmi.objectives.0.id", value]);
    assert.deepEqual(alone, ["true", "0"], value);
    assert.deepEqual(adapted, ["false", "406"], value);
  }
  assert.deepEqual(compare("SetValue", ["cmi.objectives.0.id", "urn:adl:o-1"]).adapted, ["true", "0"]);
});

test("adl.data past the stores the manifest maps is 351 (RTE 4.3)", () => {
  const { alone, adapted } = compare("SetValue", ["adl.data.0.store", "x"]);
  assert.deepEqual(alone, ["true", "0"]);
  assert.deepEqual(adapted, ["false", "351"]);
});

test("a collection index with a leading zero is 351 (RTE 4.1.1.2)", () => {
  const setup = (api) => api.SetValue("cmi.objectives.0.id", "o0");
  const { alone, adapted, apis } = compare("SetValue", ["cmi.objectives.01.id", "o1"], setup);
  assert.deepEqual(alone, ["true", "0"]); // read as index 1
  assert.deepEqual(adapted, ["false", "351"]);
  assert.equal(apis.adapted.GetValue("cmi.objectives._count"), "1");
});

test("a new objective or interaction starts with its id: 408 and no entry (RTE 4.2.9.1, 4.2.17)", () => {
  const { alone, adapted, apis } = compare("SetValue", ["cmi.objectives.0.description", "d"]);
  assert.deepEqual(alone, ["false", "408"]);
  assert.equal(apis.alone.GetValue("cmi.objectives._count"), "1"); // the entry stays behind
  assert.deepEqual(adapted, ["false", "408"]);
  assert.equal(apis.adapted.GetValue("cmi.objectives._count"), "0");
});

test("a timestamp outside time (second,10,0) is 406 (RTE 4.1.1.7)", () => {
  const { alone, adapted } = compare("SetValue", ["cmi.comments_from_learner.0.timestamp", "2004-04-01T09:45:58.025"]);
  assert.deepEqual(alone, ["true", "0"]);
  assert.deepEqual(adapted, ["false", "406"]);
  assert.deepEqual(compare("SetValue", ["cmi.comments_from_learner.0.timestamp", "2004-04-01T09:45:58.02Z"]).adapted, ["true", "0"]);
});

test("a timeinterval with a bare or misplaced T is 406 (RTE 4.1.1.6)", () => {
  for (const value of ["PT", "P1DT", "P1Y6M14D4H15M6.34S"]) {
    const { alone, adapted } = compare("SetValue", ["cmi.session_time", value]);
    assert.deepEqual(alone, ["true", "0"], value);
    assert.deepEqual(adapted, ["false", "406"], value);
  }
  assert.deepEqual(compare("SetValue", ["cmi.session_time", "P1DT2H"]).adapted, ["true", "0"]);
});

test("a response malformed for its interaction type is 406 (RTE 4.2.9.2)", () => {
  const { alone, adapted } = compare("SetValue", ["cmi.interactions.0.learner_response", "{}{[]}"], interaction("choice"));
  assert.deepEqual(alone, ["true", "0"]);
  assert.deepEqual(adapted, ["false", "406"]);
});

test("a response valid for its type that scorm-again refuses is stored (RTE 4.2.9.1)", () => {
  const element = "cmi.interactions.0.correct_responses.0.pattern";
  const { alone, adapted, apis } = compare("SetValue", [element, "[,]"], interaction("fill-in"));
  assert.deepEqual(alone, ["false", "406"]);
  assert.deepEqual(adapted, ["true", "0"]);
  assert.deepEqual(call(apis.adapted, "GetValue", element), ["[,]", "0"]);
});

test("an interaction's id may change (RTE 4.2.9)", () => {
  const { alone, adapted, apis } = compare("SetValue", ["cmi.interactions.0.id", "i2"], interaction("choice"));
  assert.deepEqual(alone, ["false", "351"]);
  assert.deepEqual(adapted, ["true", "0"]);
  assert.equal(apis.adapted.GetValue("cmi.interactions.0.id"), "i2");
});

test("a refused SetValue on a new index leaves no entry (ADL DMI)", () => {
  const { alone, adapted, apis } = compare("SetValue", ["cmi.objectives.0.id", ""]);
  assert.deepEqual(alone, ["false", "406"]);
  assert.equal(apis.alone.GetValue("cmi.objectives._count"), "1");
  assert.deepEqual(adapted, ["false", "406"]);
  assert.equal(apis.adapted.GetValue("cmi.objectives._count"), "0");
  assert.deepEqual(call(apis.adapted, "GetValue", "cmi.objectives.0.id"), ["", "301"]);
});

test("delivery_speed takes 0 (real(10,7) range 0..*, RTE 4.2.13.3)", () => {
  const { alone, adapted, apis } = compare("SetValue", ["cmi.learner_preference.delivery_speed", "0.0"]);
  assert.deepEqual(alone, ["false", "407"]);
  assert.deepEqual(adapted, ["true", "0"]);
  assert.equal(apis.adapted.GetValue("cmi.learner_preference.delivery_speed"), "0.0");
});

test("characterstrings take the empty string and read back as set (RTE 4.2.15)", () => {
  const { alone, adapted, apis } = compare("SetValue", ["cmi.location", ""]);
  assert.deepEqual(alone, ["false", "406"]);
  assert.deepEqual(adapted, ["true", "0"]);
  assert.deepEqual(call(apis.adapted, "GetValue", "cmi.location"), ["", "0"]);
});

test("an empty response is taken only by the types whose format allows it (RTE 4.2.9.2)", () => {
  const element = "cmi.interactions.0.learner_response";
  const choice = compare("SetValue", [element, ""], interaction("choice"));
  assert.deepEqual(choice.alone, ["false", "406"]);
  assert.deepEqual(choice.adapted, ["true", "0"]);
  assert.deepEqual(call(choice.apis.adapted, "GetValue", element), ["", "0"]);
  assert.deepEqual(compare("SetValue", [element, ""], interaction("true-false")).adapted, ["false", "406"]);
});

test("the elements the SCO set are recorded for snapshot's set_by_sco", () => {
  const api = api2004();
  api.SetValue("cmi.completion_status", "completed");
  api.SetValue("cmi.score.scaled", "7"); // refused (407): not recorded
  assert.deepEqual([...elementsSetBySco(api)], ["cmi.completion_status"]);
  assert.equal(elementsSetBySco(api12()), null);
});

// ---- GetValue

test("GetValue on a container is 401 (RTE 3.1.7.6)", () => {
  const { alone, adapted } = compare("GetValue", ["cmi"]);
  assert.deepEqual(alone, ["[object Object]", "0"]);
  assert.deepEqual(adapted, ["", "401"]);
});

test("GetValue past the end of a collection is 301 (RTE 3.1.7.4)", () => {
  const { alone, adapted } = compare("GetValue", ["cmi.objectives.0.id"]);
  assert.deepEqual(alone, ["", "403"]);
  assert.deepEqual(adapted, ["", "301"]);
});

test("a shared data store set to the empty string reads back as never set (403, ADL DMI)", () => {
  const buckets = [{ id: "b1", store: "old", storeSet: true, readSharedData: true, writeSharedData: true }];
  const setup = (api) => api.SetValue("adl.data.0.store", "");
  const make = (raw) => {
    const api = api2004({ raw, init: false });
    loadSharedData(api, buckets);
    api.Initialize("");
    setup(api);
    return api;
  };
  assert.deepEqual(call(make(true), "GetValue", "adl.data.0.store"), ["", "0"]);
  assert.deepEqual(call(make(false), "GetValue", "adl.data.0.store"), ["", "403"]);
});

test("request_valid.choice / jump answer from the engine's look-ahead (RTE 4.4.3)", () => {
  const look = { continue: true, previous: false, choice: ["sco-2"], jump: { "sco-3": true } };
  const make = (raw) => {
    const api = api2004({ raw, init: false });
    setRequestValid(api, look);
    api.Initialize("");
    return api;
  };
  const alone = make(true);
  assert.deepEqual(call(alone, "GetValue", "adl.nav.request_valid.choice.{target=sco-2}"), ["false", "0"]);
  const adapted = make(false);
  assert.deepEqual(call(adapted, "GetValue", "adl.nav.request_valid.continue"), ["true", "0"]);
  assert.deepEqual(call(adapted, "GetValue", "adl.nav.request_valid.previous"), ["false", "0"]);
  assert.deepEqual(call(adapted, "GetValue", "adl.nav.request_valid.choice.{target=sco-2}"), ["true", "0"]);
  assert.deepEqual(call(adapted, "GetValue", "adl.nav.request_valid.choice.{target=sco-9}"), ["false", "0"]);
  assert.deepEqual(call(adapted, "GetValue", "adl.nav.request_valid.jump.{target=sco-3}"), ["true", "0"]);
});

// ---- loadFromJSON, Terminate

test("a stored response scorm-again's format check refuses still loads (RTE 4.2.9)", () => {
  const json = { interactions: [{ id: "i1", type: "fill-in", correct_responses: [{ pattern: "[,]" }] }] };
  assert.throws(() => api2004({ raw: true, json }), /Type Mismatch/);
  const api = api2004({ json });
  assert.deepEqual(call(api, "GetValue", "cmi.interactions.0.correct_responses.0.pattern"), ["[,]", "0"]);
});

test("the SCO's adl.nav.request outlives Terminate (SN 4.4.1, RTE 4.4.1)", () => {
  const alone = api2004({ raw: true });
  const adapted = api2004();
  for (const api of [alone, adapted]) {
    api.SetValue("adl.nav.request", "continue");
    assert.equal(api.Terminate(""), "true");
    assert.equal(isTerminated(api), true);
  }
  assert.equal(navRequest(alone), "_none_"); // scorm-again resets it
  assert.equal(navRequest(adapted), "continue");
});

// ---- PlayerValidateInteractionResponses=false, shared data, rendering

test("acceptAnyResponse keeps a malformed response (SCORM 2004)", () => {
  const api = api2004();
  interaction("numeric")(api);
  assert.deepEqual(call(api, "SetValue", "cmi.interactions.0.learner_response", "about 3"), ["false", "406"]);
  acceptAnyResponse(api, false);
  assert.deepEqual(call(api, "SetValue", "cmi.interactions.0.learner_response", "about 3"), ["true", "0"]);
  assert.equal(api.GetValue("cmi.interactions.0.learner_response"), "about 3");
  api.SetValue("cmi.interactions.0.correct_responses.0.pattern", "3");
  assert.deepEqual(call(api, "SetValue", "cmi.interactions.0.correct_responses.0.pattern", "three"), ["true", "0"]);
  assert.equal(api.GetValue("cmi.interactions.0.correct_responses.0.pattern"), "three");
  // elements other than responses are refused as before
  assert.deepEqual(call(api, "SetValue", "cmi.score.scaled", "7"), ["false", "407"]);
});

test("acceptAnyResponse under SCORM 1.2: scorm-again already takes any student_response", () => {
  const api = api12();
  api.LMSSetValue("cmi.interactions.0.id", "i1");
  api.LMSSetValue("cmi.interactions.0.type", "true-false");
  const element = "cmi.interactions.0.student_response";
  assert.deepEqual(call(api, "LMSSetValue", element, "maybe"), ["true", "0"]); // alone: nothing to force
  acceptAnyResponse(api, true);
  assert.deepEqual(call(api, "LMSSetValue", element, "perhaps"), ["true", "0"]);
  assert.equal(renderCmi(api).cmi.interactions["0"].student_response, "perhaps"); // write-only
  assert.deepEqual(call(api, "LMSSetValue", "cmi.core.score.raw", "abc"), ["false", "405"]);
});

test("loadSharedData / writableSharedData: the stores this SCO maps (CAM 3.4.1.8)", () => {
  const api = api2004({ init: false });
  loadSharedData(api, [
    { id: "b1", store: "one", storeSet: true, readSharedData: true, writeSharedData: true },
    { id: "b2", store: "", storeSet: false, readSharedData: true, writeSharedData: false },
  ]);
  api.Initialize("");
  assert.equal(api.GetValue("adl.data._count"), "2");
  assert.deepEqual(call(api, "GetValue", "adl.data.0.store"), ["one", "0"]);
  assert.deepEqual(call(api, "SetValue", "adl.data.0.store", "two"), ["true", "0"]);
  assert.deepEqual(writableSharedData(api), { b1: "two" });
  assert.deepEqual(writableSharedData(api12()), {});
});

test("renderCmi renders the data model with collections keyed by index", () => {
  const api = api2004();
  api.SetValue("cmi.location", "p3");
  api.SetValue("cmi.objectives.0.id", "o1");
  const cmi = renderCmi(api).cmi;
  assert.equal(cmi.location, "p3");
  assert.equal(cmi.objectives["0"].id, "o1");
});
