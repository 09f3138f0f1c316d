//! Results serialized with object members sorted by key, at every depth.
//!
//! The protocol promises sorted keys (spec/PROTOCOL.md, "Result bodies"): a `HashMap`
//! result would otherwise serialize in a different order per process, so its ETag would
//! change on every request, 304 would never happen and replicas would disagree.
//!
//! `serde_json` writes each object member straight into the buffer; this formatter only
//! remembers where each member starts and ends. An object whose keys arrive in order (a
//! struct whose fields are declared alphabetically, a `BTreeMap`) costs nothing more; an
//! object whose keys arrive out of order has its members moved once, when it closes.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::io;
use std::rc::Rc;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

use mizan_protocol::utf16_cmp;

/// Serializes `value` as compact JSON with object keys sorted in UTF-16 code-unit order
/// (as RFC 8785 and JavaScript sort them), into a buffer of `capacity` bytes to start with.
pub(crate) fn to_sorted_vec<T: Serialize + ?Sized>(
    value: &T,
    capacity: usize,
) -> serde_json::Result<Vec<u8>> {
    let buf = Rc::new(RefCell::new(Vec::with_capacity(capacity)));
    let formatter = Sorting {
        buf: Rc::clone(&buf),
        objects: Vec::new(),
        members: Vec::new(),
    };
    let mut serializer = serde_json::Serializer::with_formatter(Shared(Rc::clone(&buf)), formatter);
    value.serialize(&mut serializer)?;
    drop(serializer);
    Ok(Rc::try_unwrap(buf).map_or_else(|rc| rc.borrow().clone(), RefCell::into_inner))
}

/// The output buffer, written by the serializer and rearranged by the formatter.
struct Shared(Rc<RefCell<Vec<u8>>>);

impl io::Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An object being written.
struct Object {
    /// Where its first member starts (just after `{`).
    start: usize,
    /// Its first member in `Sorting::members`.
    first: usize,
    /// Whether its keys have arrived in order so far.
    sorted: bool,
}

/// One member of an open object: `"key":value`, by position in the buffer.
#[derive(Clone, Copy)]
struct Member {
    key_start: usize,
    key_end: usize,
    end: usize,
}

struct Sorting {
    buf: Rc<RefCell<Vec<u8>>>,
    /// The open objects, innermost last.
    objects: Vec<Object>,
    /// The members of every open object, innermost object's last.
    members: Vec<Member>,
}

impl Sorting {
    fn len(&self) -> usize {
        self.buf.borrow().len()
    }
}

/// Orders two JSON-encoded keys (quotes included) as their strings compare in UTF-16.
fn key_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let plain = |k: &[u8]| k.iter().all(|&c| c.is_ascii() && c != b'\\');
    if plain(a) && plain(b) {
        // ASCII without escapes: byte order is code-unit order. The closing quote sorts
        // before every other printable character, so a prefix sorts first.
        return a.cmp(b);
    }
    let decode = |k: &[u8]| serde_json::from_slice::<String>(k).unwrap_or_default();
    utf16_cmp(&decode(a), &decode(b))
}

impl Formatter for Sorting {
    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b"{")?;
        self.objects.push(Object {
            start: self.len(),
            first: self.members.len(),
            sorted: true,
        });
        Ok(())
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if !first {
            writer.write_all(b",")?;
        }
        let at = self.len();
        self.members.push(Member {
            key_start: at,
            key_end: at,
            end: at,
        });
        Ok(())
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        let at = self.len();
        if let Some(m) = self.members.last_mut() {
            m.key_end = at;
        }
        Ok(())
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        CompactFormatter.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        let at = self.len();
        let Some(object) = self.objects.last_mut() else {
            return Ok(());
        };
        let n = self.members.len();
        if let Some(m) = self.members.last_mut() {
            m.end = at;
        }
        if object.sorted && n >= object.first + 2 {
            let (prev, this) = (self.members[n - 2], self.members[n - 1]);
            let buf = self.buf.borrow();
            object.sorted = key_cmp(
                &buf[prev.key_start..prev.key_end],
                &buf[this.key_start..this.key_end],
            ) != Ordering::Greater;
        }
        Ok(())
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if let Some(object) = self.objects.pop() {
            if !object.sorted {
                let mut buf = self.buf.borrow_mut();
                let members = &mut self.members[object.first..];
                members.sort_by(|a, b| {
                    key_cmp(&buf[a.key_start..a.key_end], &buf[b.key_start..b.key_end])
                });
                let mut sorted = Vec::with_capacity(buf.len() - object.start);
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        sorted.push(b',');
                    }
                    sorted.extend_from_slice(&buf[m.key_start..m.end]);
                }
                buf.truncate(object.start);
                buf.extend_from_slice(&sorted);
            }
            self.members.truncate(object.first);
        }
        writer.write_all(b"}")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde_json::{Value, json};

    use super::*;

    fn text<T: Serialize>(value: &T) -> String {
        String::from_utf8(to_sorted_vec(value, 0).expect("serializes")).expect("UTF-8")
    }

    #[derive(Serialize)]
    struct Todo {
        title: String,
        id: i64,
        done: bool,
        tags: HashMap<String, Vec<Inner>>,
    }

    #[derive(Serialize)]
    struct Inner {
        z: u8,
        a: Option<u8>,
    }

    #[test]
    fn structs_and_maps_come_out_sorted_at_every_depth() {
        let mut tags = HashMap::new();
        for k in ["zeta", "alpha", "mid", "Beta", "b", "a\"q"] {
            tags.insert(k.to_owned(), vec![Inner { z: 1, a: None }]);
        }
        let todo = Todo {
            title: "x".into(),
            id: 1,
            done: false,
            tags,
        };
        let out = text(&vec![todo]);
        assert_eq!(
            out,
            r#"[{"done":false,"id":1,"tags":{"Beta":[{"a":null,"z":1}],"a\"q":[{"a":null,"z":1}],"alpha":[{"a":null,"z":1}],"b":[{"a":null,"z":1}],"mid":[{"a":null,"z":1}],"zeta":[{"a":null,"z":1}]},"title":"x"}]"#
        );
        // The same as serde_json's own sorted map (a BTreeMap-backed Value).
        let value: Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(out, serde_json::to_string(&value).expect("serializes"));
    }

    #[test]
    fn a_hash_map_serializes_the_same_whatever_its_order() {
        let bodies: Vec<String> = (0..20)
            .map(|_| {
                let map: HashMap<String, i32> = (0..50).map(|i| (format!("k{i}"), i)).collect();
                text(&map)
            })
            .collect();
        assert!(bodies.windows(2).all(|w| w[0] == w[1]));
        let sorted: BTreeMap<String, i32> = (0..50).map(|i| (format!("k{i}"), i)).collect();
        assert_eq!(
            bodies[0],
            serde_json::to_string(&sorted).expect("serializes")
        );
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+FF61 is one UTF-16 unit above the surrogates that encode U+1F600, so UTF-16
        // order puts the emoji first while UTF-8 byte order would not.
        let map: HashMap<&str, i32> = HashMap::from([("\u{ff61}", 1), ("\u{1f600}", 2), ("a", 3)]);
        assert_eq!(text(&map), "{\"a\":3,\"\u{1f600}\":2,\"\u{ff61}\":1}");
    }

    #[test]
    fn nested_and_empty_objects_and_escapes() {
        let value = json!({"b": {}, "a": [{"y": 1, "x": {"d": 1, "c": 2}}], "c\n": "v"});
        let map: serde_json::Map<String, Value> = value.as_object().cloned().unwrap_or_default();
        assert_eq!(
            text(&map),
            r#"{"a":[{"x":{"c":2,"d":1},"y":1}],"b":{},"c\n":"v"}"#
        );
    }
}
