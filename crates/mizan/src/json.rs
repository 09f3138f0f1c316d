//! Results serialized with object members sorted by key, at every depth.
//!
//! The protocol promises sorted keys (spec/PROTOCOL.md §5.1): a `HashMap` result would
//! otherwise serialize in a different order per process, so its ETag would change on every
//! request, 304 would never happen and replicas would disagree.
//!
//! `serde_json` writes straight into the output buffer, as it does without sorting; the
//! formatter counts the bytes it writes and keeps each object's last key to compare with
//! the next. An object whose keys arrive in order (a struct whose fields are declared
//! alphabetically, a `BTreeMap`) therefore costs a key copy and a comparison per member.
//! An object whose keys arrive out of order is noted, and its members are moved once
//! the whole value is written.

use std::cmp::Ordering;
use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};

use mizan_protocol::utf16_cmp;

/// Serializes `value` as compact JSON with object keys sorted in UTF-16 code-unit order
/// (as RFC 8785 and JavaScript sort them), into a buffer of `capacity` bytes to start with.
pub(crate) fn to_sorted_vec<T: Serialize + ?Sized>(
    value: &T,
    capacity: usize,
) -> serde_json::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(capacity);
    let mut fixups = Vec::new();
    let formatter = Sorting {
        pos: 0,
        objects: Vec::new(),
        members: Vec::new(),
        keys: Vec::new(),
        key_start: None,
        fixups: &mut fixups,
    };
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut buf, formatter,
    ))?;
    // Inner objects close first, so their fixups come first; each permutes the bytes of
    // its own region only, which an enclosing object then moves as a block.
    for fixup in &fixups {
        fixup.apply(&mut buf);
    }
    Ok(buf)
}

/// A writer that counts what goes through it.
struct Counting<'a, W: ?Sized> {
    inner: &'a mut W,
    written: &'a mut usize,
}

impl<W: ?Sized + io::Write> io::Write for Counting<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(bytes)?;
        *self.written += n;
        Ok(n)
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)?;
        *self.written += bytes.len();
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// An object being written.
struct Object {
    /// Where its first member starts (just after `{`).
    start: usize,
    /// Its first member in `Sorting::members`.
    first: usize,
    /// Where its keys start in `Sorting::keys` (they are dropped when it closes).
    base: usize,
    /// Where its previous key is in `Sorting::keys`.
    prev: Option<(usize, usize)>,
    /// Whether its keys have arrived in order so far.
    sorted: bool,
}

/// One member of an object: `"key":value`, by position in the output.
#[derive(Clone, Copy)]
struct Member {
    key_start: usize,
    key_end: usize,
    end: usize,
}

/// The members of an object whose keys arrived out of order, to be sorted in place.
struct Fixup {
    start: usize,
    members: Vec<Member>,
}

impl Fixup {
    fn apply(&self, buf: &mut [u8]) {
        let Some(last) = self.members.last() else {
            return;
        };
        let mut order = self.members.clone();
        order.sort_by(|a, b| key_cmp(&buf[a.key_start..a.key_end], &buf[b.key_start..b.key_end]));
        let mut sorted = Vec::with_capacity(last.end - self.start);
        for (i, m) in order.iter().enumerate() {
            if i > 0 {
                sorted.push(b',');
            }
            sorted.extend_from_slice(&buf[m.key_start..m.end]);
        }
        buf[self.start..last.end].copy_from_slice(&sorted);
    }
}

struct Sorting<'a> {
    /// Bytes written so far.
    pos: usize,
    /// The open objects, innermost last.
    objects: Vec<Object>,
    /// The members of every open object, innermost object's last.
    members: Vec<Member>,
    /// The keys (decoded text) of every open object, innermost object's last.
    keys: Vec<u8>,
    /// Where the key being written starts in `keys`, while one is.
    key_start: Option<usize>,
    fixups: &'a mut Vec<Fixup>,
}

/// Orders two keys' texts (UTF-8) as their strings compare in UTF-16 code units.
fn text_cmp(a: &[u8], b: &[u8]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            if x.is_ascii() && y.is_ascii() {
                // Where they first differ both are ASCII: byte order is code-unit order.
                return x.cmp(y);
            }
            return utf16_cmp(&String::from_utf8_lossy(a), &String::from_utf8_lossy(b));
        }
    }
    a.len().cmp(&b.len())
}

/// Orders two JSON-encoded keys (quotes included) as their strings compare in UTF-16.
fn key_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let decode = |k: &[u8]| serde_json::from_slice::<String>(k).unwrap_or_default();
    if a.contains(&b'\\') || b.contains(&b'\\') {
        return utf16_cmp(&decode(a), &decode(b));
    }
    // Without the quotes, so that a key sorts after its prefixes.
    fn unquote(k: &[u8]) -> &[u8] {
        k.get(1..k.len().saturating_sub(1)).unwrap_or_default()
    }
    text_cmp(unquote(a), unquote(b))
}

/// Forwards a formatter method to `CompactFormatter`, counting what it writes.
macro_rules! counted {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $name<W: ?Sized + io::Write>(&mut self, writer: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            let mut counting = Counting { inner: writer, written: &mut self.pos };
            CompactFormatter.$name(&mut counting $(, $arg)*)
        }
    )*};
}

/// Like [`counted!`], and a value written as a map key (an integer, a float or a bool
/// key) is also added to the key's text.
macro_rules! counted_key {
    ($($name:ident($arg:ident: $ty:ty);)*) => {$(
        fn $name<W: ?Sized + io::Write>(&mut self, writer: &mut W, $arg: $ty) -> io::Result<()> {
            if self.key_start.is_some() {
                CompactFormatter.$name(&mut self.keys, $arg)?;
            }
            let mut counting = Counting { inner: writer, written: &mut self.pos };
            CompactFormatter.$name(&mut counting, $arg)
        }
    )*};
}

impl Formatter for Sorting<'_> {
    counted! {
        write_null();
        write_number_str(value: &str);
        begin_string();
        end_string();
        write_byte_array(value: &[u8]);
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object_value();
        write_raw_fragment(fragment: &str);
    }

    counted_key! {
        write_bool(value: bool);
        write_i8(value: i8);
        write_i16(value: i16);
        write_i32(value: i32);
        write_i64(value: i64);
        write_i128(value: i128);
        write_u8(value: u8);
        write_u16(value: u16);
        write_u32(value: u32);
        write_u64(value: u64);
        write_u128(value: u128);
        write_f32(value: f32);
        write_f64(value: f64);
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if self.key_start.is_some() {
            self.keys.extend_from_slice(fragment.as_bytes());
        }
        writer.write_all(fragment.as_bytes())?;
        self.pos += fragment.len();
        Ok(())
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        if self.key_start.is_some() {
            let c = match char_escape {
                CharEscape::Quote => b'"',
                CharEscape::ReverseSolidus => b'\\',
                CharEscape::Solidus => b'/',
                CharEscape::Backspace => 8,
                CharEscape::FormFeed => 12,
                CharEscape::LineFeed => b'\n',
                CharEscape::CarriageReturn => b'\r',
                CharEscape::Tab => b'\t',
                CharEscape::AsciiControl(c) => c,
            };
            self.keys.push(c);
        }
        let mut counting = Counting {
            inner: writer,
            written: &mut self.pos,
        };
        CompactFormatter.write_char_escape(&mut counting, char_escape)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b"{")?;
        self.pos += 1;
        self.objects.push(Object {
            start: self.pos,
            first: self.members.len(),
            base: self.keys.len(),
            prev: None,
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
            self.pos += 1;
        }
        self.members.push(Member {
            key_start: self.pos,
            key_end: self.pos,
            end: self.pos,
        });
        self.key_start = Some(self.keys.len());
        Ok(())
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        let pos = self.pos;
        if let Some(m) = self.members.last_mut() {
            m.key_end = pos;
        }
        let (Some(start), Some(object)) = (self.key_start.take(), self.objects.last_mut()) else {
            return Ok(());
        };
        let end = self.keys.len();
        if let Some((p, q)) = object.prev
            && object.sorted
            && text_cmp(&self.keys[p..q], &self.keys[start..end]) == Ordering::Greater
        {
            object.sorted = false;
        }
        object.prev = Some((start, end));
        Ok(())
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        let pos = self.pos;
        if let Some(m) = self.members.last_mut() {
            m.end = pos;
        }
        Ok(())
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if let Some(object) = self.objects.pop() {
            if !object.sorted {
                self.fixups.push(Fixup {
                    start: object.start,
                    members: self.members[object.first..].to_vec(),
                });
            }
            self.members.truncate(object.first);
            self.keys.truncate(object.base);
        }
        writer.write_all(b"}")?;
        self.pos += 1;
        Ok(())
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
    fn a_key_sorts_after_its_prefixes() {
        // `"a"` must come first although `"` sorts after ` ` and `!` byte-wise.
        let map: HashMap<&str, i32> = HashMap::from([("a!", 1), ("a b", 2), ("a", 3)]);
        assert_eq!(text(&map), r#"{"a":3,"a b":2,"a!":1}"#);
        let keys: HashMap<i32, bool> = HashMap::from([(10, true), (9, false), (100, true)]);
        assert_eq!(text(&keys), r#"{"10":true,"100":true,"9":false}"#);
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
