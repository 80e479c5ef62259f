// The SCORM 2004 4th Edition run-time data types the player checks itself (RTE 4.1.1, 4.2.9):
// pure functions of strings, no scorm-again; scorm-again-adapter.js applies them where
// scorm-again's own checks depart from ADL's run-time tests.

/** long_identifier_type (RTE 4.1.1.5): no white space; a "urn:" identifier must be a URN (RFC 2141). */
export const validURN = (v) => {
  const s = String(v);
  if (/\s/.test(s)) return false;
  return !/^urn:/i.test(s) || /^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$/i.test(s);
};

const TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.\d{1,2}(?:Z|[+-](\d{2})(?::(\d{2}))?)?)?)?)?)?)?)?$/;
/** time (second,10,0) (RTE 4.1.1.7): YYYY[-MM[-DD[Thh[:mm[:ss[.s[TZD]]]]]]], years 1970-2038. */
export const validTime = (v) => {
  const m = TIME.exec(String(v));
  if (!m) return false;
  const [, y, mo, d, h, mi, sec, tzh, tzm] = m.map((x) => (x === undefined ? undefined : Number(x)));
  const within = (x, lo, hi) => x === undefined || (x >= lo && x <= hi);
  return within(y, 1970, 2038) && within(mo, 1, 12) && within(d, 1, 31) && within(h, 0, 23) &&
    within(mi, 0, 59) && within(sec, 0, 59) && within(tzh, 0, 23) && within(tzm, 0, 59);
};
/** timeinterval (second,10,2) (RTE 4.1.1.6, ISO 8601): "T" only before hours, minutes or seconds. */
export const validDuration = (v) =>
  /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?)?$/.test(String(v));

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
export function validLang(tag) {
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
