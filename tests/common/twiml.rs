//! TwiML read back as Twilio reads it: parsed as XML (quick-xml), not searched for substrings,
//! so a test sees the elements, their attributes and their text with every entity resolved.

use quick_xml::XmlVersion;
use quick_xml::events::Event;

/// One element: its name, attributes and text, and how deep it sits (`Response` is 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub depth: usize,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every element of `xml` in document order; panics (failing the test) on XML Twilio could not
/// read.
#[track_caller]
pub fn parse(xml: &str) -> Vec<Element> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out: Vec<Element> = Vec::new();
    // Indexes into `out` of the elements still open.
    let mut open: Vec<usize> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{xml}"));
        match event {
            Event::Eof => break,
            Event::Start(e) => {
                out.push(element(&e, open.len()));
                open.push(out.len() - 1);
            }
            Event::Empty(e) => out.push(element(&e, open.len())),
            Event::End(_) => {
                open.pop();
            }
            Event::Text(t) => {
                if let Some(&i) = open.last() {
                    out[i].text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(&i) = open.last() {
                    let entity = format!("&{};", r.xml10_content());
                    let resolved = quick_xml::escape::unescape(&entity)
                        .unwrap_or_else(|e| panic!("entity {entity} ({e}):\n{xml}"));
                    out[i].text.push_str(&resolved);
                }
            }
            _ => {}
        }
    }
    out
}

fn element(e: &quick_xml::events::BytesStart<'_>, depth: usize) -> Element {
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.expect("a well-formed attribute");
            (
                a.key.0.to_string(),
                a.normalized_value(XmlVersion::Implicit1_0)
                    .expect("an attribute value")
                    .into_owned(),
            )
        })
        .collect();
    Element {
        name: e.name().0.to_string(),
        attrs,
        text: String::new(),
        depth,
    }
}
