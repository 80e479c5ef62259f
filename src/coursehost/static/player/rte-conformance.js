// Corrections to scorm-again's Scorm2004API where it departs from the SCORM 2004 4th Edition
// run-time environment as ADL's LMS test suite checks it (tests/conformance/scorm2004 measures them).
// conform(api) wraps the instance in place (SetValue, GetValue, Terminate) and returns it; it also
// records what snapshot() needs (the elements the SCO set, adl.nav.request at Terminate).
// setRequestValid(api, look) loads the sequencing engine's look-ahead into adl.nav.request_valid.

import { NAV_AT_TERMINATE, SET_ELEMENTS } from "./runtime-data.js";

/** The engine's look-ahead ({continue, previous, choice, jump}; choice / jump either {id: bool} or
 * the list of valid ids, the player's nav shape) into adl.nav.request_valid (RTE 4.4.3). Once
 * loaded, conform's GetValue answers request_valid.choice / jump.{target=id} from it ("false" for
 * ids it does not list) instead of scorm-again's own sequencer or scoItemIdValidator. */
export function setRequestValid(api, look) {
  const rv = api && api.adl && api.adl.nav && api.adl.nav.request_valid;
  if (!rv || !look) return;
  const tf = (v) => (v ? "true" : "false");
  if ("continue" in look) rv._continue = tf(look.continue);
  if ("previous" in look) rv._previous = tf(look.previous);
  // {id: bool}, or a list of the valid ids (the player's nav shape)
  const map = (m) => Object.fromEntries(Array.isArray(m) ? m.map((k) => [k, "true"])
    : Object.entries(m || {}).map(([k, v]) => [k, tf(v)]));
  api[LOOKAHEAD] = true;
  for (const [holder, values] of [[rv._choice, look.choice], [rv._jump, look.jump]]) {
    if (!holder || !holder.setAll) continue;
    holder.setAll(map(values)); // read back by conform's GetValue
  }
}

// Containers, not data model elements: SetValue on them is 401 "Undefined Data Model Element"
// (RTE 3.1.7.6; ADL DMI: SetValue("cmi", ...) -> "false"/401, scorm-again answers "true"/0).
const CONTAINERS = new Set(["cmi", "adl", "adl.nav", "adl.data", "cmi.objectives", "cmi.interactions",
  "cmi.learner_preference", "cmi.comments_from_learner", "cmi.comments_from_lms", "cmi.score"]);

const LOOKAHEAD = "coursehostLookahead"; // setRequestValid loaded the engine's look-ahead
const TARGETED = /^adl\.nav\.request_valid\.(choice|jump)\.\{target=([^}]*)\}$/;
const ID_ELEMENT = /^cmi\.(objectives|interactions)\.\d+\.(objectives\.\d+\.)?id$/;
const validURN = (v) => {
  const s = String(v);
  if (/\s/.test(s)) return false;
  return !/^urn:/i.test(s) || /^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$/i.test(s);
};

const ENTRY = /^cmi\.(objectives|interactions)\.(\d+)\.(.+)$/;
const TIME_ELEMENT = /^cmi\.(comments_from_learner|interactions)\.\d+\.timestamp$/;
const TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.\d{1,2}(?:Z|[+-](\d{2})(?::(\d{2}))?)?)?)?)?)?)?)?$/;
const validTime = (v) => {
  const m = TIME.exec(String(v));
  if (!m) return false;
  const [, y, mo, d, h, mi, sec, tzh, tzm] = m.map((x) => (x === undefined ? undefined : Number(x)));
  const within = (x, lo, hi) => x === undefined || (x >= lo && x <= hi);
  return within(y, 1970, 2038) && within(mo, 1, 12) && within(d, 1, 31) && within(h, 0, 23) &&
    within(mi, 0, 59) && within(sec, 0, 59) && within(tzh, 0, 23) && within(tzm, 0, 59);
};
const DURATION_ELEMENT = /^cmi\.(session_time|interactions\.\d+\.latency)$/;
const validDuration = (v) =>
  /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?)?$/.test(String(v));

// Elements whose type takes the empty string (characterstrings without a minimum length, RTE 4.2;
// ADL DMI sets each of these to "" and expects true/0); scorm-again answers 406 for some.
const EMPTY_OK = new RegExp("^cmi\\.(location|suspend_data|exit|learner_preference\\.language|" +
  "comments_from_learner\\.\\d+\\.(comment|location)|(objectives|interactions)\\.\\d+\\.description)$");
// ... and responses of interaction types whose format takes it (RTE 4.2.9.2: an empty choice set,
// an empty fill-in / long-fill-in / other string; not true-false, numeric, ...: 406).
const RESPONSE = /^cmi\.interactions\.(\d+)\.(learner_response|correct_responses\.(\d+)\.pattern)$/;
const SINGLE_PATTERN = new Set(["true-false", "likert", "numeric"]); // RTE 4.2.9.1: one pattern
const EMPTY_TYPES = new Set(["choice", "fill-in", "long-fill-in", "other"]);

// ---- interaction responses (RTE 4.2.9.1 correct_responses.n.pattern, 4.2.9.2 learner_response) ----
// ISO 639-1 / 639-2 language codes and ISO 3166-1 alpha-2 country codes (RFC 3066 subtags, as the
// localized_string_type's {lang=...} takes them: RTE 4.1.1.8); from Debian's iso-codes 4.x.
const ISO639_1 = new Set((
  "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da " +
  "de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz " +
  "ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln " +
  "lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi " +
  "pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti " +
  "tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu ").split(" "));
const ISO639_2 = new Set((
  "aar abk ace ach ada ady afa afh afr ain aka akk alb ale alg alt amh ang anp apa ara arc arg arm " +
  "arn arp art arw asm ast ath aus ava ave awa aym aze bad bai bak bal bam ban baq bas bat bej bel " +
  "bem ben ber bho bih bik bin bis bla bnt bod bos bra bre btk bua bug bul bur byn cad cai car cat " +
  "cau ceb cel ces cha chb che chg chi chk chm chn cho chp chr chu chv chy cmc cnr cop cor cos cpe " +
  "cpf cpp cre crh crp csb cus cym cze dak dan dar day del den deu dgr din div doi dra dsb dua dum " +
  "dut dyu dzo efi egy eka ell elx eng enm epo est eus ewe ewo fan fao fas fat fij fil fin fiu fon " +
  "fra fre frm fro frr frs fry ful fur gaa gay gba gem geo ger gez gil gla gle glg glv gmh goh gon " +
  "gor got grb grc gre grn gsw guj gwi hai hat hau haw heb her hil him hin hit hmn hmo hrv hsb hun " +
  "hup hye iba ibo ice ido iii ijo iku ile ilo ina inc ind ine inh ipk ira iro isl ita jav jbo jpn " +
  "jpr jrb kaa kab kac kal kam kan kar kas kat kau kaw kaz kbd kha khi khm kho kik kin kir kmb kok " +
  "kom kon kor kos kpe krc krl kro kru kua kum kur kut lad lah lam lao lat lav lez lim lin lit lol " +
  "loz ltz lua lub lug lui lun luo lus mac mad mag mah mai mak mal man mao map mar mas may mdf mdr " +
  "men mga mic min mis mkd mkh mlg mlt mnc mni mno moh mon mos mri msa mul mun mus mwl mwr mya myn " +
  "myv nah nai nap nau nav nbl nde ndo nds nep new nia nic niu nld nno nob nog non nor nqo nso nub " +
  "nwc nya nym nyn nyo nzi oci oji ori orm osa oss ota oto paa pag pal pam pan pap pau peo per phi " +
  "phn pli pol pon por pra pro pus que raj rap rar roa roh rom ron rum run rup rus sad sag sah sai " +
  "sal sam san sas sat scn sco sel sem sga sgn shn sid sin sio sit sla slk slo slv sma sme smi smj " +
  "smn smo sms sna snd snk sog som son sot spa sqi srd srn srp srr ssa ssw suk sun sus sux swa swe " +
  "syc syr tah tai tam tat tel tem ter tet tgk tgl tha tib tig tir tiv tkl tlh tli tmh tog ton tpi " +
  "tsi tsn tso tuk tum tup tur tut tvl twi tyv udm uga uig ukr umb und urd uzb vai ven vie vol vot " +
  "wak wal war was wel wen wln wol xal xho yao yap yid yor ypk zap zbl zen zgh zha zho znd zul zun " +
  "zxx zza ").split(" "));
const ISO3166 = new Set((
  "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS " +
  "BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE " +
  "EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM " +
  "HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC " +
  "LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA " +
  "NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
  "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO " +
  "TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW ").split(" "));

// RFC 3066 language tag: an ISO 639 code (or i / x), then subtags of 1-8 letters or digits; a
// two-letter second subtag is an ISO 3166 country (ADL DMI: "frl", "exg", "sp", "ruq-JM" -> 406).
function validLang(tag) {
  const parts = String(tag).split("-");
  if (parts.some((p) => !/^[A-Za-z0-9]{1,8}$/.test(p))) return false;
  const primary = parts[0].toLowerCase();
  if (primary === "i" || primary === "x") return parts.length > 1;
  if (!/^[a-z]{2,3}$/.test(primary)) return false;
  if (!(primary.length === 2 ? ISO639_1 : ISO639_2).has(primary) && !/^q[a-t][a-z]$/.test(primary)) return false;
  if (parts.length > 1) {
    const second = parts[1];
    if (second.length === 1) return false;
    if (second.length === 2 && !ISO3166.has(second.toUpperCase())) return false;
  }
  return true;
}

// short_identifier_type (RTE 4.1.1.4): a non-empty URI-characters string (RFC 3986: no white
// space, no "{", "}", "[", "]" outside an IP literal; ADL DMI: "{}{[]}{}{[]}{}" -> 406).
const SHORT_ID = /^[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+$/;
const validShortId = (s) => SHORT_ID.test(s);
const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)$/;

// localized_string_type: an optional {lang=<RFC 3066 tag>} then any characters.
function validLocalized(s) {
  if (!s.startsWith("{lang=")) return true;
  const end = s.indexOf("}");
  return end > 0 && validLang(s.slice(6, end));
}

// The leading {case_matters=...} / {order_matters=...} delimiters of a pattern (each once, in any
// order, true or false): the rest, or null when one has another value.
function stripFlags(s, names) {
  const seen = new Set();
  for (;;) {
    const m = /^\{(case_matters|order_matters)=([^}]*)\}/.exec(s);
    if (!m || !names.includes(m[1]) || seen.has(m[1])) return s;
    if (m[2] !== "true" && m[2] !== "false") return null;
    seen.add(m[1]);
    s = s.slice(m[0].length);
  }
}

// A step answer of a performance pattern: characterstring or a numeric range min[:]max.
function validStepAnswer(s) {
  if (!s.includes("[:]")) return !/\[[.,]\]/.test(s);
  const [lo, hi, ...more] = s.split("[:]");
  if (more.length) return false;
  if ((lo && !DECIMAL.test(lo)) || (hi && !DECIMAL.test(hi))) return false;
  return !(lo && hi && Number(lo) > Number(hi));
}

/** Whether VALUE is a learner_response (PATTERN false) or a correct_responses.n.pattern (true) of
 * an interaction of TYPE (RTE 4.2.9); undefined for a type this does not know. */
export function validResponse(type, value, pattern) {
  let v = String(value);
  switch (type) {
    case "true-false":
      return v === "true" || v === "false";
    case "choice": {
      if (v === "") return true;
      const ids = v.split("[,]");
      return ids.every(validShortId) && new Set(ids).size === ids.length;
    }
    case "fill-in":
      if (pattern && (v = stripFlags(v, ["case_matters", "order_matters"])) === null) return false;
      return v.split("[,]").every(validLocalized);
    case "long-fill-in":
      if (pattern && (v = stripFlags(v, ["case_matters"])) === null) return false;
      return validLocalized(v);
    case "likert":
      return validShortId(v);
    case "matching":
      return v.split("[,]").every((pair) => {
        const p = pair.split("[.]");
        return p.length === 2 && validShortId(p[0]) && validShortId(p[1]);
      });
    case "performance":
      if (pattern && (v = stripFlags(v, ["order_matters"])) === null) return false;
      return v.split("[,]").every((step) => {
        const p = step.split("[.]");
        if (p.length !== 2 || (p[0] === "" && p[1] === "")) return false;
        if (p[0] !== "" && !validShortId(p[0])) return false;
        return pattern ? validStepAnswer(p[1]) : !/\[[.,:]\]/.test(p[1]);
      });
    case "sequencing":
      return v.split("[,]").every(validShortId);
    case "numeric": {
      if (!pattern) return DECIMAL.test(v);
      if (!v.includes("[:]")) return DECIMAL.test(v);
      const [lo, hi, ...more] = v.split("[:]");
      if (more.length || (lo && !DECIMAL.test(lo)) || (hi && !DECIMAL.test(hi))) return false;
      return !(lo && hi && Number(lo) > Number(hi));
    }
    case "other":
      return true;
    default:
      return undefined;
  }
}

export function conform(api) {
  const setEmpty = new Set(); // set to "" by the SCO: initialized, so GetValue answers ""/0
  // Every element the SCO set successfully in this session; snapshot() stores it (runtime-data.js
  // SET_KEY) so the server can tell "set to unknown" from "never set" (ADL CO-13a vs CO-06).
  const setBySco = new Set();
  api[SET_ELEMENTS] = setBySco;
  const setValue = api.SetValue.bind(api);
  const emptyStores = new Set(); // adl.data.n.store set to "": read back as never set (403, ADL DMI)
  api.SetValue = (element, value) => {
    const out = setValueChecked(element, value);
    if (out === "true") {
      setBySco.add(String(element));
      if (/^adl\.data\.\d+\.store$/.test(String(element))) {
        if (value === "") emptyStores.add(String(element)); else emptyStores.delete(String(element));
      }
    }
    return out;
  };
  const setValueChecked = (element, value) => {
    if (CONTAINERS.has(String(element)) && api.isInitialized && api.isInitialized()) {
      api.throwSCORMError(String(element), 401, "Undefined Data Model Element");
      return "false";
    }
    if (ID_ELEMENT.test(String(element)) && api.isInitialized && api.isInitialized() && !validURN(value)) {
      // long_identifier_type (RTE 4.1.1.5): a "urn:" identifier must be a URN (RFC 2141:
      // urn:<NID>:<NSS>) and no identifier holds white space; scorm-again takes "urn:".
      api.throwSCORMError(String(element), 406, "Data Model Element Type Mismatch");
      return "false";
    }
    const bucket = /^adl\.data\.(\d+)\./.exec(String(element));
    if (bucket && api.isInitialized && api.isInitialized()) {
      const count = String(getValue("adl.data._count"));
      if (/^\d+$/.test(count) && Number(bucket[1]) >= Number(count)) {
        // adl.data holds the stores the manifest maps, no more (RTE 4.3; ADL DMI: 351)
        api.throwSCORMError(String(element), 351, "General Set Failure");
        return "false";
      }
    }
    const entry = ENTRY.exec(String(element));
    if (entry && api.isInitialized && api.isInitialized()) {
      const count = String(getValue(`cmi.${entry[1]}._count`));
      if (entry[2].length > 1 && entry[2].startsWith("0")) {
        // "01" is no index of a collection (RTE 4.1.1.2): 351 General Set Failure.
        api.throwSCORMError(String(element), 351, "General Set Failure");
        return "false";
      }
      if (/^\d+$/.test(count) && Number(entry[2]) === Number(count) && entry[3] !== "id") {
        // A new objective / interaction starts with its id (RTE 4.2.9.1, 4.2.17): anything else is
        // 408 Data Model Dependency Not Established (ADL DMI), and no entry is created.
        api.throwSCORMError(String(element), 408, "Data Model Dependency Not Established");
        return "false";
      }
    }
    if (TIME_ELEMENT.test(String(element)) && api.isInitialized && api.isInitialized() && !validTime(value)) {
      // time (second,10,0) (RTE 4.1.1.7): YYYY[-MM[-DD[Thh[:mm[:ss[.s[TZD]]]]]]], years 1970-2038,
      // at most two decimals; scorm-again takes "2004-04-01T09:45:58.025".
      api.throwSCORMError(String(element), 406, "Data Model Element Type Mismatch");
      return "false";
    }
    if (DURATION_ELEMENT.test(String(element)) && api.isInitialized && api.isInitialized() && !validDuration(value)) {
      // timeinterval (second,10,2) (RTE 4.1.1.6, ISO 8601): "T" only before hours, minutes or
      // seconds, and never alone; scorm-again takes "P1Y6M14D4H15M6.34S".
      api.throwSCORMError(String(element), 406, "Data Model Element Type Mismatch");
      return "false";
    }
    const response = RESPONSE.exec(String(element));
    let responseValid;
    if (response && api.isInitialized && api.isInitialized()) {
      // Type-aware response formats (RTE 4.2.9.1 / 4.2.9.2); scorm-again both takes malformed ones
      // ("{}{[]}" as a choice) and refuses valid ones ("[,]" as a fill-in pattern).
      const n = response[1];
      const err = api.lastErrorCode;
      const type = String(getValue(`cmi.interactions.${n}.type`));
      const count = Number(getValue(`cmi.interactions.${n}.correct_responses._count`));
      api.lastErrorCode = err;
      responseValid = validResponse(type, value, response[2] !== "learner_response");
      const k = response[3] === undefined ? -1 : Number(response[3]);
      // a pattern past the end, or past the one pattern these types take, is scorm-again's 351
      const deferred = k > count || (k === count && count >= 1 && SINGLE_PATTERN.has(type));
      if (responseValid === false && !deferred) {
        api.throwSCORMError(String(element), 406, "Data Model Element Type Mismatch");
        return "false";
      }
    }
    if (/^cmi\.interactions\.\d+\.id$/.test(String(element)) && api.isInitialized && api.isInitialized()) {
      // An interaction's id may change (ADL DMI: cmi.interactions.0.id set again -> true/0; RTE
      // 4.2.9 lets a SCO journal or rename); scorm-again answers 351 once the id is set.
      const entry = api.cmi && api.cmi.interactions && api.cmi.interactions.childArray[Number(String(element).split(".")[2])];
      if (entry && "_idIsSet" in entry && validURN(value) && value !== "") entry._idIsSet = false;
    }
    const arrays = collectionsOn(String(element));
    const lengths = arrays.map((a) => a.childArray.length);
    let out = setValue(element, value);
    if (out === "false" && responseValid === true && api.lastErrorCode === "406") {
      // valid for its type (above) where scorm-again's own format check refuses it: store it
      const interaction = api.cmi.interactions.childArray[Number(response[1])];
      const holder = response[3] === undefined ? interaction
        : interaction && interaction.correct_responses && interaction.correct_responses.childArray[Number(response[3])];
      const field = response[3] === undefined ? "_learner_response" : "_pattern";
      if (holder && field in holder) {
        holder[field] = String(value);
        if (value === "") setEmpty.add(String(element));
        api.lastErrorCode = "0";
        out = "true";
      }
    }
    if (out === "false") {
      // A refused SetValue on a new index leaves no entry behind (ADL DMI: SetValue
      // cmi.objectives.1.id "" -> 406, then cmi.objectives.1.id is 301); scorm-again keeps the
      // empty child it created before checking the value.
      arrays.forEach((a, i) => { if (a.childArray.length > lengths[i]) a.childArray.length = lengths[i]; });
    }
    // characterstring elements accept the empty string (RTE 4.2.15 cmi.location, 4.2.25
    // suspend_data: SPM minimums, no minimum length); scorm-again answers 406.
    const emptyOk = () => {
      if (EMPTY_OK.test(String(element))) return true;
      const response = RESPONSE.exec(String(element));
      if (!response) return false;
      const err = api.lastErrorCode;
      const type = String(getValue(`cmi.interactions.${response[1]}.type`));
      api.lastErrorCode = err;
      return EMPTY_TYPES.has(type);
    };
    if (out === "false" && String(element) === "cmi.learner_preference.delivery_speed" &&
        api.lastErrorCode === "407" && /^\d+(\.\d+)?$/.test(String(value)) && Number(value) === 0) {
      // real(10,7) range 0..* (RTE 4.2.13.3) includes 0; scorm-again answers 407 for "0.0"
      const [holder] = leafHolder(String(element));
      if (holder && "_delivery_speed" in holder) {
        holder._delivery_speed = String(value);
        api.lastErrorCode = "0";
        return "true";
      }
    }
    if (out === "false" && value === "" && api.lastErrorCode === "406" && emptyOk()) {
      const [holder, leaf] = leafHolder(String(element));
      if (holder && ("_" + leaf) in holder) {
        holder["_" + leaf] = "";
        setEmpty.add(String(element));
        api.lastErrorCode = "0";
        return "true";
      }
    }
    return out;
  };
  const load = api.loadFromJSON.bind(api);
  api.loadFromJSON = (json, ...rest) => {
    // Responses stored here (or forced in by the player's lenient PlayerValidateInteractionResponses
    // = false) that scorm-again's own format check refuses would make loadFromJSON throw at the
    // next launch: load the rest, then put each response back as it was stored.
    const list = json && !rest.length && json.interactions;
    if (!list || typeof list !== "object") return load(json, ...rest);
    json = { ...json, interactions: Array.isArray(list) ? [...list] : { ...list } };
    const held = []; // [interaction index, pattern index or -1, value]
    for (const [i, entry] of Object.entries(json.interactions)) {
      if (!entry || typeof entry !== "object") continue;
      const copy = (json.interactions[i] = { ...entry });
      if ("learner_response" in copy) { held.push([i, -1, copy.learner_response]); delete copy.learner_response; }
      const patterns = copy.correct_responses;
      if (patterns && typeof patterns === "object") {
        for (const [k, p] of Object.entries(patterns)) {
          // (an entry without its pattern is one stored as "": runtime-data.js prunes empty strings)
          if (p && typeof p === "object") held.push([i, k, "pattern" in p ? p.pattern : ""]);
        }
        delete copy.correct_responses;
      }
    }
    const out = load(json, ...rest);
    for (const [i, k, value] of held) {
      const interaction = api.cmi.interactions.childArray[Number(i)];
      if (!interaction || value === undefined || value === null) continue;
      if (k === -1) { interaction._learner_response = String(value); continue; }
      const patterns = interaction.correct_responses;
      const element = `cmi.interactions.${i}.correct_responses.${k}.pattern`;
      try {
        api.setCMIValue(element, String(value)); // creates the entry (and checks the format)
      } catch (e) {
        // refused by scorm-again's format check: the entry it created first takes the value
      }
      const child = patterns && patterns.childArray[Number(k)];
      if (child && "_pattern" in child) {
        child._pattern = String(value);
        if (String(value) === "") setEmpty.add(element);
      }
    }
    return out;
  };
  const terminate = api.Terminate.bind(api);
  api.Terminate = (arg) => {
    const nav = api.adl && api.adl.nav ? api.adl.nav.request : undefined;
    const out = terminate(arg);
    if (String(out) === "true") api[NAV_AT_TERMINATE] = nav; // for snapshot(): scorm-again resets it
    return out;
  };
  const getValue = api.GetValue.bind(api);
  api.GetValue = (element) => {
    if (CONTAINERS.has(String(element)) && api.isInitialized && api.isInitialized()) {
      api.throwSCORMError(String(element), 401, "Undefined Data Model Element");
      return "";
    }
    const target = TARGETED.exec(String(element));
    const rv = api.adl && api.adl.nav && api.adl.nav.request_valid;
    if (target && rv && api[LOOKAHEAD] && api.isInitialized && api.isInitialized()) {
      // The look-ahead loaded by setRequestValid (RTE 4.4.3); scorm-again would ask its own
      // (empty) sequencer and answer "false" (ADL CM-04b, DMI).
      const holder = target[1] === "choice" ? rv._choice : rv._jump;
      const v = holder && holder.getAll ? holder.getAll()[target[2]] : undefined;
      api.lastErrorCode = "0";
      return v === "true" ? "true" : "false"; // not in the look-ahead: not a valid request now
    }
    if (api.isInitialized && api.isInitialized() && !outOfRangeChecked(String(element))) {
      // GetValue past the end of a collection: 301 General Get Failure (RTE 3.1.7.4, ADL DMI:
      // cmi.objectives.0.id with no objectives); scorm-again answers 403.
      api.throwSCORMError(String(element), 301, "General Get Failure");
      return "";
    }
    if (emptyStores.has(String(element)) && api.isInitialized && api.isInitialized()) {
      api.throwSCORMError(String(element), 403, "Data Model Element Value Not Initialized");
      return "";
    }
    const got = getValue(element);
    if (got === "" && api.lastErrorCode === "403" && setEmpty.has(String(element))) {
      api.lastErrorCode = "0";
    }
    return got;
  };
  // [the object holding ELEMENT's last segment, that segment] (only for EMPTY_OK paths: every
  // segment before the leaf is a container or an index).
  function leafHolder(element) {
    const parts = element.split(".");
    const leaf = parts.pop();
    let node = api;
    for (const part of parts) {
      if (!node || typeof node !== "object") return [null, leaf];
      node = Array.isArray(node.childArray) && /^\d+$/.test(part) ? node.childArray[Number(part)] : node[part];
    }
    if (!node || typeof node !== "object") return [null, leaf];
    if (!(("_" + leaf) in node)) {
      // scorm-again 3's cmi keeps some leaves in parts (cmi.session._location, cmi.content...)
      const part = Object.values(node).find((v) => v && typeof v === "object" && ("_" + leaf) in v);
      if (part) return [part, leaf];
    }
    return [node, leaf];
  }
  // The collections (scorm-again CMIArray) named along ELEMENT's path, outermost first.
  function collectionsOn(element) {
    const out = [];
    const m = /^cmi\.(objectives|interactions)\.(\d+)\.(?:(objectives|correct_responses)\.\d+\.)?/.exec(element);
    if (!m || !api.cmi) return out; // (only these paths: reading a leaf could throw, e.g. write-only cmi.exit)
    const top = api.cmi[m[1]];
    if (!top || !Array.isArray(top.childArray)) return out;
    out.push(top);
    const child = top.childArray[Number(m[2])];
    const sub = m[3] && child ? child[m[3]] : null;
    if (sub && Array.isArray(sub.childArray)) out.push(sub);
    return out;
  }
  // Whether every collection index in ELEMENT (cmi.objectives.N..., cmi.interactions.N.objectives.M...)
  // names an existing entry.
  function outOfRangeChecked(element) {
    const re = /\.(objectives|interactions|correct_responses|comments_from_learner|comments_from_lms|data)\.(\d+)(?=\.)/g;
    let m;
    while ((m = re.exec(element)) !== null) {
      const prefix = element.slice(0, m.index + m[1].length + 1);
      const count = String(getValue(prefix + "._count"));
      if (/^\d+$/.test(count) && Number(m[2]) >= Number(count)) return false;
    }
    return true;
  }
  return api;
}
