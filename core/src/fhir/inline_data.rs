//! Finds inline binary data (`"data": "<base64>"`, as in FHIR Attachment and Binary) too large
//! to keep inside a record's JSON, by byte position in the text as received, so it can be cut
//! out and later put back exactly: an exported bundle is byte-for-byte the imported one.
//!
//! A small JSON tokenizer, not a parser: the bundle is fully parsed (and rejected if invalid)
//! afterwards, once the large strings are out of it.

/// Decoded bytes above which inline data moves to attachment storage.
pub const INLINE_LIMIT: usize = 64 * 1024;

/// Base64 characters that decode to exactly [`INLINE_LIMIT`] bytes: no shorter string needs a
/// closer look.
const MIN_CANDIDATE_CHARS: usize = INLINE_LIMIT.div_ceil(3) * 4;

/// The byte range of a string's content, between (not including) its quotes, and the
/// `contentType` given beside it, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub media_type: Option<String>,
}

impl Span {
    pub fn len(&self) -> usize {
        self.end - self.start
    }
}

/// The decoded length of canonical base64 text, or `None` if it is not canonical (padding,
/// alphabet, no escapes or whitespace): only canonical text can be re-encoded exactly.
pub fn canonical_base64_len(text: &[u8]) -> Option<usize> {
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let pad = text.iter().rev().take_while(|&&b| b == b'=').count();
    if pad > 2 || !text[..text.len() - pad].iter().all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/') {
        return None;
    }
    Some(text.len() / 4 * 3 - pad)
}

/// Every string value of a `"data"` key whose content would decode to more than
/// [`INLINE_LIMIT`] bytes, in order. Malformed JSON yields whatever was found before the fault;
/// the full parse that follows reports the fault itself.
pub fn large_data_spans(json: &[u8]) -> Vec<Span> {
    let mut spans = Vec::new();
    if json.len() < MIN_CANDIDATE_CHARS {
        return spans;
    }
    let mut i = 0;
    let mut after_data_key = false;
    let mut after_type_key = false;
    // Per open object: the spans found directly in it, and its contentType.
    let mut objects: Vec<(Vec<usize>, Option<String>)> = Vec::new();
    while i < json.len() {
        match json[i] {
            b'{' => {
                objects.push((Vec::new(), None));
                after_data_key = false;
                i += 1;
            }
            b'}' => {
                if let Some((found, Some(media_type))) = objects.pop() {
                    for k in found {
                        spans[k].media_type = Some(media_type.clone());
                    }
                }
                i += 1;
            }
            b'"' => {
                let start = i + 1;
                let Some(end) = string_end(json, start) else {
                    break;
                };
                let mut next = end + 1;
                while next < json.len() && json[next].is_ascii_whitespace() {
                    next += 1;
                }
                if json.get(next) == Some(&b':') {
                    after_data_key = &json[start..end] == b"data";
                    after_type_key = &json[start..end] == b"contentType";
                    i = next + 1;
                    continue;
                }
                if after_type_key && let Some(top) = objects.last_mut() {
                    top.1 = std::str::from_utf8(&json[start..end]).ok().map(str::to_owned);
                }
                if after_data_key && end - start >= MIN_CANDIDATE_CHARS && decodes_over_limit(&json[start..end]) {
                    if let Some(top) = objects.last_mut() {
                        top.0.push(spans.len());
                    }
                    spans.push(Span { start, end, media_type: None });
                }
                after_data_key = false;
                after_type_key = false;
                i = end + 1;
            }
            b if b.is_ascii_whitespace() => i += 1,
            _ => {
                after_data_key = false;
                after_type_key = false;
                i += 1;
            }
        }
    }
    spans
}

fn decodes_over_limit(text: &[u8]) -> bool {
    // Non-canonical text (escaped slashes, line breaks) is judged by its length alone.
    canonical_base64_len(text).is_none_or(|n| n > INLINE_LIMIT)
}

/// Index of the closing quote of a string whose content starts at `start`.
fn string_end(json: &[u8], mut i: usize) -> Option<usize> {
    while i < json.len() {
        match json[i] {
            b'"' => return Some(i),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// The text with every span's content removed (quotes kept), and where each span goes back.
pub fn cut(json: &[u8], spans: &[Span]) -> (Vec<u8>, Vec<usize>) {
    let removed: usize = spans.iter().map(Span::len).sum();
    let mut skeleton = Vec::with_capacity(json.len() - removed);
    let mut offsets = Vec::with_capacity(spans.len());
    let mut pos = 0;
    for s in spans {
        skeleton.extend_from_slice(&json[pos..s.start]);
        offsets.push(skeleton.len());
        pos = s.end;
    }
    skeleton.extend_from_slice(&json[pos..]);
    (skeleton, offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(n: usize) -> String {
        "QUJD".repeat(n / 3)
    }

    #[test]
    fn only_large_data_values_are_found_and_cut_back_exactly() {
        let big = b64(INLINE_LIMIT + 3);
        let small = b64(3000);
        let json = format!(
            r#"{{"a":{{"data" : "{big}","title":"data","contentType":"application/pdf"}},"b":{{"data":"{small}"}},"c":["data","{big}"],"d":{{"note":"{big}"}},"e":{{"data":"{big}"}}}}"#
        );
        let spans = large_data_spans(json.as_bytes());
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].media_type.as_deref(), Some("application/pdf"));
        assert_eq!(spans[1].media_type, None);
        let (skel, offsets) = cut(json.as_bytes(), &spans);
        let mut back = Vec::new();
        let mut pos = 0;
        for (s, off) in spans.iter().zip(&offsets) {
            back.extend_from_slice(&skel[pos..*off]);
            back.extend_from_slice(&json.as_bytes()[s.start..s.end]);
            pos = *off;
        }
        back.extend_from_slice(&skel[pos..]);
        assert_eq!(back, json.as_bytes());
        assert!(serde_json::from_slice::<serde_json::Value>(&skel).is_ok());
    }

    #[test]
    fn exactly_the_limit_stays_inline_and_one_byte_more_moves() {
        let at = b64(INLINE_LIMIT - INLINE_LIMIT % 3) + "QUI="; // 64 KiB - 1 + 2 bytes
        assert_eq!(canonical_base64_len(at.as_bytes()), Some(INLINE_LIMIT + 1));
        let json = format!(r#"{{"data":"{at}"}}"#);
        assert_eq!(large_data_spans(json.as_bytes()).len(), 1);
        let exact = b64(INLINE_LIMIT - 1) + "QQ==";
        assert_eq!(canonical_base64_len(exact.as_bytes()), Some(INLINE_LIMIT));
        assert!(large_data_spans(format!(r#"{{"data":"{exact}"}}"#).as_bytes()).is_empty());
    }

    #[test]
    fn escaped_quotes_do_not_confuse_the_scanner() {
        let big = b64(INLINE_LIMIT + 30);
        let json = format!(r#"{{"x":"say \"data\": ","data":"{big}"}}"#);
        let spans = large_data_spans(json.as_bytes());
        assert_eq!(spans.len(), 1);
        assert_eq!(&json.as_bytes()[spans[0].start..spans[0].end], big.as_bytes());
    }
}
