// rte-formats.js: the SCORM 2004 data types the adapter checks (RTE 4.1.1, 4.2.9).
import { test } from "node:test";
import assert from "node:assert/strict";
import { validDuration, validLang, validResponse, validTime, validURN } from "../../src/coursehost/static/player/rte-formats.js";

test("long_identifier_type: no white space; urn: must be a URN (RTE 4.1.1.5)", () => {
  for (const ok of ["obj-1", "urn:adl:obj-1", "http://x/y"]) assert.equal(validURN(ok), true, ok);
  for (const bad of ["a b", "urn:", "urn:x", "urn:-x:y"]) assert.equal(validURN(bad), false, bad);
});

test("time (second,10,0) (RTE 4.1.1.7)", () => {
  for (const ok of ["2004", "2004-04-01T09:45:58", "2004-04-01T09:45:58.02Z", "2038-01-01T00:00:00.5+05:30"]) assert.equal(validTime(ok), true, ok);
  for (const bad of ["1969", "2004-13", "2004-04-01T24", "2004-04-01T09:45:58.025", "2004-04-01 09:45"]) assert.equal(validTime(bad), false, bad);
});

test("timeinterval (second,10,2) (RTE 4.1.1.6)", () => {
  for (const ok of ["P1Y", "PT1H30M", "P1DT2H", "PT0.25S"]) assert.equal(validDuration(ok), true, ok);
  for (const bad of ["P", "PT", "P1DT", "PT1.255S", "1H"]) assert.equal(validDuration(bad), false, bad);
});

test("RFC 3066 language tags with ISO 639 / 3166 codes (RTE 4.1.1.8)", () => {
  for (const ok of ["en", "en-US", "fra", "i-klingon", "x-private", "qaa", "de-1901"]) assert.equal(validLang(ok), true, ok);
  for (const bad of ["frl", "exg", "sp", "ruq-JM", "en-Q", "e1", "i", "toolongtag1"]) assert.equal(validLang(bad), false, bad);
});

test("responses and patterns per interaction type (RTE 4.2.9)", () => {
  const cases = [
    ["true-false", "true", false, true], ["true-false", "yes", false, false],
    ["choice", "a[,]b", false, true], ["choice", "a[,]a", false, false], ["choice", "{}{[]}", false, false], ["choice", "", false, true],
    ["fill-in", "{case_matters=true}{lang=en}colour[,]color", true, true], ["fill-in", "{case_matters=maybe}x", true, false],
    ["fill-in", "{lang=frl}x", false, false], ["long-fill-in", "{case_matters=false}text", true, true],
    ["likert", "agree", false, true], ["likert", "a b", false, false],
    ["matching", "a[.]1[,]b[.]2", false, true], ["matching", "a[.]1[.]2", false, false],
    ["performance", "{order_matters=false}s1[.]1[:]5", true, true], ["performance", "s1[.]5[:]1", true, false],
    ["performance", "[.]", false, false], ["sequencing", "a[,]b", false, true],
    ["numeric", "1.5", false, true], ["numeric", "1[:]2", false, false], ["numeric", "1[:]2", true, true],
    ["numeric", "2[:]1", true, false], ["other", "anything", false, true],
  ];
  for (const [type, value, pattern, expected] of cases) {
    assert.equal(validResponse(type, value, pattern), expected, `${type} ${value} ${pattern}`);
  }
  assert.equal(validResponse("unknown-type", "x", false), undefined);
});
