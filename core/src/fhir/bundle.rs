//! Reads an ABDM document bundle: checks its shape, classifies it, and extracts the few fields
//! the store lists, sorts, filters and searches by.

use super::HiType;
use crate::error::{Error, Result};
use ring::digest::{Context, SHA256};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// What the store keeps about a bundle besides the bundle itself.
#[derive(Clone, Debug, PartialEq)]
pub struct BundleIndex {
    pub hi_type: HiType,
    /// `system|value` of Bundle.identifier (or just the value when there is no system).
    pub identifier: Option<String>,
    pub title: String,
    /// The calendar day as written, `YYYY-MM-DD`, and the instant in UTC milliseconds.
    pub date: Option<(String, i64)>,
    pub facility: Option<String>,
    pub author: Option<String>,
    pub care_context: Option<String>,
    /// Titles and display texts, for full-text search.
    pub search_text: String,
}

fn invalid(msg: &str) -> Error {
    Error::InvalidInput(msg.to_owned())
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// Resources of the bundle by the ways a reference can name them.
struct Resources<'a>(HashMap<Cow<'a, str>, &'a Value>);

impl<'a> Resources<'a> {
    fn new(entries: &'a [Value]) -> Self {
        let mut by = HashMap::new();
        for e in entries {
            let Some(r) = e.get("resource") else { continue };
            if let Some(url) = str_at(e, "fullUrl") {
                by.insert(Cow::Borrowed(url), r);
            }
            if let (Some(t), Some(id)) = (str_at(r, "resourceType"), str_at(r, "id")) {
                by.insert(Cow::Owned(format!("{t}/{id}")), r);
                by.insert(Cow::Borrowed(id), r);
            }
        }
        Resources(by)
    }

    fn resolve(&self, reference: &Value) -> Option<&'a Value> {
        let r = str_at(reference, "reference")?;
        self.0.get(r).or_else(|| self.0.get(r.rsplit('/').next()?)).copied()
    }
}

fn human_name(r: &Value) -> Option<String> {
    let name = r.get("name")?;
    let name = name.as_array().and_then(|a| a.first()).unwrap_or(name);
    if let Some(text) = str_at(name, "text") {
        return Some(text.to_owned());
    }
    let mut parts: Vec<&str> = name
        .get("prefix")
        .and_then(Value::as_array)
        .into_iter()
        .chain(name.get("given").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    parts.extend(str_at(name, "family"));
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// A reference's display text, or the name of the resource it points at.
fn display_of(reference: Option<&Value>, res: &Resources) -> Option<String> {
    let reference = reference?;
    let reference = reference.as_array().and_then(|a| a.first()).unwrap_or(reference);
    if let Some(d) = str_at(reference, "display") {
        return Some(d.to_owned());
    }
    let target = res.resolve(reference)?;
    match target.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => human_name(target),
    }
}

fn classify(composition: &Value) -> Option<HiType> {
    let ty = composition.get("type")?;
    let codings = ty.get("coding").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    let snomed = codings.iter().find_map(|c| {
        let system = str_at(c, "system").unwrap_or("");
        (system.contains("snomed")).then(|| str_at(c, "code").and_then(HiType::from_snomed)).flatten()
    });
    let profile = composition
        .pointer("/meta/profile")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find_map(HiType::from_profile_url);
    let text = || {
        str_at(ty, "text")
            .into_iter()
            .chain(codings.iter().filter_map(|c| str_at(c, "display")))
            .find_map(HiType::from_text)
    };
    snomed.or(profile).or_else(text)
}

/// Collects display texts for search: every `display`, `title` and string `text`, except in
/// the resources that describe people, whose names the profile already carries.
fn collect_search_text(v: &Value, out: &mut Vec<String>, seen: &mut HashSet<String>) {
    match v {
        Value::Object(m) => {
            if matches!(m.get("resourceType").and_then(Value::as_str), Some("Patient" | "RelatedPerson")) {
                return;
            }
            for (k, child) in m {
                match (k.as_str(), child) {
                    ("display" | "title" | "text", Value::String(s)) => {
                        let s = s.trim();
                        if !s.is_empty() && s.len() < 512 && seen.insert(s.to_lowercase()) {
                            out.push(s.to_owned());
                        }
                    }
                    ("data", _) => {}
                    _ => collect_search_text(child, out, seen),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|c| collect_search_text(c, out, seen)),
        _ => {}
    }
}

const SEARCH_TEXT_LIMIT: usize = 8 * 1024;

/// Checks that `bundle` is an ABDM document bundle and indexes it.
pub(crate) fn index_bundle(bundle: &Value, care_context: Option<&str>) -> Result<BundleIndex> {
    if str_at(bundle, "resourceType") != Some("Bundle") {
        return Err(invalid("not a FHIR Bundle"));
    }
    if str_at(bundle, "type") != Some("document") {
        return Err(invalid("the Bundle is not of type document"));
    }
    let entries = bundle
        .get("entry")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| invalid("the Bundle has no entries"))?;
    let composition = entries[0]
        .get("resource")
        .filter(|r| str_at(r, "resourceType") == Some("Composition"))
        .ok_or_else(|| invalid("the first entry of the Bundle is not a Composition"))?;
    let hi_type = classify(composition).ok_or_else(|| invalid("the Composition type is not an ABDM record type"))?;
    let res = Resources::new(entries);

    let identifier = bundle.get("identifier").and_then(|id| {
        let value = str_at(id, "value")?;
        Some(match str_at(id, "system") {
            Some(system) => format!("{system}|{value}"),
            None => value.to_owned(),
        })
    });
    let title = str_at(composition, "title")
        .map(str::to_owned)
        .or_else(|| composition.get("type").and_then(|t| str_at(t, "text").map(str::to_owned)))
        .unwrap_or_else(|| hi_type.as_str().to_owned());
    let date = [str_at(composition, "date"), str_at(bundle, "timestamp")]
        .into_iter()
        .flatten()
        .find_map(crate::time::parse_fhir_datetime);
    let facility = display_of(composition.get("custodian"), &res);
    let author = display_of(composition.get("author"), &res);
    let care_context = care_context.map(str::to_owned).or_else(|| {
        let enc = composition.get("encounter")?;
        let from_resource = res.resolve(enc).and_then(|e| {
            let id = e.get("identifier")?;
            let id = id.as_array().and_then(|a| a.first()).unwrap_or(id);
            str_at(id, "value").map(str::to_owned)
        });
        from_resource.or_else(|| str_at(enc, "display").map(str::to_owned))
    });

    let (mut texts, mut seen) = (Vec::new(), HashSet::new());
    for t in [Some(&title), facility.as_ref(), author.as_ref()].into_iter().flatten() {
        seen.insert(t.to_lowercase());
    }
    for e in entries {
        if let Some(r) = e.get("resource") {
            collect_search_text(r, &mut texts, &mut seen);
        }
    }
    let mut search_text = String::new();
    for t in [facility.as_deref(), author.as_deref()].into_iter().flatten().chain(texts.iter().map(String::as_str)) {
        if search_text.len() + t.len() + 1 > SEARCH_TEXT_LIMIT {
            break;
        }
        search_text.push_str(t);
        search_text.push('\n');
    }
    Ok(BundleIndex { hi_type, identifier, title, date, facility, author, care_context, search_text })
}

/// SHA-256 of the bundle's content independent of key order and white space, plus the raw
/// text of its large inline data in order: the same record formatted twice hashes the same.
pub(crate) fn content_hash(skeleton: &Value, inline_data: &[&[u8]]) -> [u8; 32] {
    fn walk(v: &Value, c: &mut Context) {
        match v {
            Value::Null => c.update(b"n"),
            Value::Bool(b) => c.update(if *b { b"t" } else { b"f" }),
            Value::Number(n) => {
                let s = n.to_string();
                c.update(b"#");
                c.update(&(s.len() as u64).to_be_bytes());
                c.update(s.as_bytes());
            }
            Value::String(s) => {
                c.update(b"s");
                c.update(&(s.len() as u64).to_be_bytes());
                c.update(s.as_bytes());
            }
            Value::Array(a) => {
                c.update(b"[");
                a.iter().for_each(|x| walk(x, c));
                c.update(b"]");
            }
            Value::Object(m) => walk_object(m, c),
        }
    }
    fn walk_object(m: &Map<String, Value>, c: &mut Context) {
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort_unstable();
        c.update(b"{");
        for k in keys {
            c.update(&(k.len() as u64).to_be_bytes());
            c.update(k.as_bytes());
            walk(&m[k], c);
        }
        c.update(b"}");
    }
    let mut c = Context::new(&SHA256);
    walk(skeleton, &mut c);
    for d in inline_data {
        c.update(&(d.len() as u64).to_be_bytes());
        c.update(d);
    }
    c.finish().as_ref().try_into().expect("SHA-256 is 32 bytes")
}
