//! Results serialized with object members sorted by key, at every depth.
//!
//! The protocol promises sorted keys (spec/PROTOCOL.md §5.1): a `HashMap` result would
//! otherwise serialize in a different order per process, so its ETag would change on every
//! request, 304 would never happen and replicas would disagree.
//!
//! [`Writer`] is a `serde::Serializer` that writes compact JSON straight into its buffer:
//! scalars and strings through `serde_json` (so numbers, floats and escapes are exactly
//! `serde_json`'s), brackets and commas itself. Each object compares every key with the
//! previous one as it is written: a struct's keys are `&'static str`s, so an object whose
//! keys arrive in order (a struct whose fields are declared alphabetically, a `BTreeMap`)
//! costs one short comparison per member and nothing else. When a key arrives out of order,
//! the members written so far are found by scanning the object's own output, later ones are
//! noted as they are written, and the members are moved into order when the object closes,
//! within its own span, so the positions noted by the objects around it stay valid.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Display;

use serde::Serialize;
use serde::ser::{self, Error as _, Impossible};

type Result<T = ()> = serde_json::Result<T>;

/// `serde_json`'s name for a `RawValue`, which it serializes verbatim.
const RAW_VALUE: &str = "$serde_json::private::RawValue";

/// Serializes `value` as compact JSON with object keys sorted in UTF-16 code-unit order
/// (as RFC 8785 and JavaScript sort them), into a buffer of `capacity` bytes to start with.
pub(crate) fn to_sorted_vec<T: Serialize + ?Sized>(value: &T, capacity: usize) -> Result<Vec<u8>> {
    // The bookkeeping vectors are kept per thread, so a result allocates its output only.
    let (members, scratch) = SPARE.take();
    let mut writer = Writer {
        out: Vec::with_capacity(capacity),
        members,
        scratch,
    };
    let result = value.serialize(&mut writer);
    let Writer {
        out,
        mut members,
        mut scratch,
    } = writer;
    // Unless they grew large: one huge result must not keep its memory per thread.
    if scratch.capacity() <= SPARE_MAX && members.capacity() <= SPARE_MAX / size_of::<Member>() {
        members.clear();
        scratch.clear();
        SPARE.set((members, scratch));
    }
    result.map(|()| out)
}

/// The largest bookkeeping buffer kept for the next result, in bytes.
const SPARE_MAX: usize = 64 << 10;

thread_local! {
    static SPARE: std::cell::Cell<(Vec<Member>, Vec<u8>)> =
        const { std::cell::Cell::new((Vec::new(), Vec::new())) };
}

/// The serializer: the output, and the members of the open objects being put in order.
struct Writer {
    out: Vec<u8>,
    /// The members of every open object whose keys arrived out of order, innermost last.
    members: Vec<Member>,
    /// Where an out-of-order object is rebuilt.
    scratch: Vec<u8>,
}

/// One member of an object, `"key":value`, by its span in the output: `start..key_end` is
/// the key as written (quotes included), `start..end` the whole member.
#[derive(Clone, Copy)]
struct Member {
    start: usize,
    key_end: usize,
    end: usize,
}

/// An object's previous key.
#[derive(Clone, Copy)]
enum Prev {
    None,
    /// A struct field's name.
    Field(&'static str),
    /// A map key, by its span in the output (quotes included).
    Written(usize, usize),
}

impl Writer {
    /// `serde_json` writing into the output, for scalars and strings.
    #[inline]
    fn json(&mut self) -> serde_json::Serializer<&mut Vec<u8>> {
        serde_json::Serializer::new(&mut self.out)
    }

    /// Opens an object: `{` and its bookkeeping.
    #[inline]
    fn object(&mut self, closers: &'static [u8]) -> Object<'_> {
        self.out.push(b'{');
        Object {
            start: self.out.len(),
            count: 0,
            prev: Prev::None,
            noted: None,
            pending: None,
            closers,
            raw: false,
            w: self,
        }
    }

    /// Opens an externally tagged variant: `{"variant":` and what follows.
    fn variant(&mut self, variant: &'static str) -> Result {
        self.out.push(b'{');
        ser::Serializer::serialize_str(&mut self.json(), variant)?;
        self.out.push(b':');
        Ok(())
    }

    /// A key's text: a field's name, or a written key without its quotes, decoded when it
    /// holds escapes.
    fn key_text(&self, key: Prev) -> Cow<'_, [u8]> {
        match key {
            Prev::None => Cow::Borrowed(&[]),
            Prev::Field(name) => Cow::Borrowed(name.as_bytes()),
            Prev::Written(start, end) => decoded_key(&self.out[start..end]),
        }
    }
}

/// A written key (quotes included) as text: without its quotes, decoded if it has escapes.
fn decoded_key(written: &[u8]) -> Cow<'_, [u8]> {
    if written.contains(&b'\\') {
        let text = serde_json::from_slice::<String>(written).unwrap_or_default();
        Cow::Owned(text.into_bytes())
    } else {
        Cow::Borrowed(
            written
                .get(1..written.len().saturating_sub(1))
                .unwrap_or_default(),
        )
    }
}

/// The members of a complete object's inside (`"k":v,"k":v`, starting at `offset` in the
/// output), found by scanning it: commas outside strings and brackets end members, and a
/// member's key is its first string.
fn scan_members(inside: &[u8], offset: usize, members: &mut Vec<Member>) {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut member = Member {
        start: offset,
        key_end: offset,
        end: offset,
    };
    for (i, &b) in inside.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
                if depth == 0 && member.key_end == member.start {
                    member.key_end = offset + i + 1;
                }
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            b',' if depth == 0 => {
                member.end = offset + i;
                members.push(member);
                let next = offset + i + 1;
                member = Member {
                    start: next,
                    key_end: next,
                    end: next,
                };
            }
            _ => {}
        }
    }
    if !inside.is_empty() {
        member.end = offset + inside.len();
        members.push(member);
    }
}

/// Whether the struct field `next` may follow the field `prev`.
#[inline]
fn field_follows(prev: &str, next: &str) -> bool {
    match (prev.as_bytes().first(), next.as_bytes().first()) {
        // Fields that differ in their first character, the usual case.
        (Some(x), Some(y)) if x != y && x.is_ascii() && y.is_ascii() => x < y,
        _ => text_cmp(prev.as_bytes(), next.as_bytes()) != Ordering::Greater,
    }
}

/// Orders two keys' texts (UTF-8) as their strings compare in UTF-16 code units.
///
/// UTF-8 byte order is code-point order, which is UTF-16 order except between a character
/// from U+E000 to U+FFFF (lead byte `EE` or `EF`) and one above U+FFFF (lead byte `F0` to
/// `F4`): UTF-16 writes the latter as surrogates (`D800` to `DFFF`), which sort first.
/// Where two texts first differ in a continuation byte, their characters have the same
/// lead byte, so the bytes decide.
fn text_cmp(a: &[u8], b: &[u8]) -> Ordering {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        None => a.len().cmp(&b.len()),
        Some(i) => {
            let (x, y) = (a[i], b[i]);
            let bmp_high = |c: u8| c == 0xEE || c == 0xEF;
            let astral = |c: u8| c >= 0xF0;
            if (bmp_high(x) && astral(y)) || (astral(x) && bmp_high(y)) {
                y.cmp(&x)
            } else {
                x.cmp(&y)
            }
        }
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Result {
        ser::Serializer::serialize_bool(&mut self.json(), v)
    }
    #[inline]
    fn serialize_i8(self, v: i8) -> Result {
        ser::Serializer::serialize_i8(&mut self.json(), v)
    }
    #[inline]
    fn serialize_i16(self, v: i16) -> Result {
        ser::Serializer::serialize_i16(&mut self.json(), v)
    }
    #[inline]
    fn serialize_i32(self, v: i32) -> Result {
        ser::Serializer::serialize_i32(&mut self.json(), v)
    }
    #[inline]
    fn serialize_i64(self, v: i64) -> Result {
        ser::Serializer::serialize_i64(&mut self.json(), v)
    }
    #[inline]
    fn serialize_i128(self, v: i128) -> Result {
        ser::Serializer::serialize_i128(&mut self.json(), v)
    }
    #[inline]
    fn serialize_u8(self, v: u8) -> Result {
        ser::Serializer::serialize_u8(&mut self.json(), v)
    }
    #[inline]
    fn serialize_u16(self, v: u16) -> Result {
        ser::Serializer::serialize_u16(&mut self.json(), v)
    }
    #[inline]
    fn serialize_u32(self, v: u32) -> Result {
        ser::Serializer::serialize_u32(&mut self.json(), v)
    }
    #[inline]
    fn serialize_u64(self, v: u64) -> Result {
        ser::Serializer::serialize_u64(&mut self.json(), v)
    }
    #[inline]
    fn serialize_u128(self, v: u128) -> Result {
        ser::Serializer::serialize_u128(&mut self.json(), v)
    }
    #[inline]
    fn serialize_f32(self, v: f32) -> Result {
        ser::Serializer::serialize_f32(&mut self.json(), v)
    }
    #[inline]
    fn serialize_f64(self, v: f64) -> Result {
        ser::Serializer::serialize_f64(&mut self.json(), v)
    }
    #[inline]
    fn serialize_char(self, v: char) -> Result {
        ser::Serializer::serialize_char(&mut self.json(), v)
    }
    #[inline]
    fn serialize_str(self, v: &str) -> Result {
        ser::Serializer::serialize_str(&mut self.json(), v)
    }
    #[inline]
    fn serialize_bytes(self, v: &[u8]) -> Result {
        ser::Serializer::serialize_bytes(&mut self.json(), v)
    }
    #[inline]
    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }
    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    #[inline]
    fn serialize_unit(self) -> Result {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    #[inline]
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.serialize_unit()
    }
    #[inline]
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.serialize_str(variant)
    }
    #[inline]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }
    #[inline]
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        self.variant(variant)?;
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    #[inline]
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a>> {
        self.out.push(b'[');
        Ok(Seq {
            w: self,
            first: true,
            closers: b"]",
        })
    }
    #[inline]
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>> {
        self.serialize_seq(Some(len))
    }
    #[inline]
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'a>> {
        self.serialize_seq(Some(len))
    }
    #[inline]
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Seq<'a>> {
        self.variant(variant)?;
        self.out.push(b'[');
        Ok(Seq {
            w: self,
            first: true,
            closers: b"]}",
        })
    }
    #[inline]
    fn serialize_map(self, _len: Option<usize>) -> Result<Object<'a>> {
        Ok(self.object(b"}"))
    }
    #[inline]
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Object<'a>> {
        if name == RAW_VALUE {
            // No brackets: the field's text is the whole value.
            let start = self.out.len();
            return Ok(Object {
                start,
                count: 0,
                prev: Prev::None,
                noted: None,
                pending: None,
                closers: b"",
                raw: true,
                w: self,
            });
        }
        Ok(self.object(b"}"))
    }
    #[inline]
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Object<'a>> {
        self.variant(variant)?;
        Ok(self.object(b"}}"))
    }
    #[inline]
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result {
        ser::Serializer::collect_str(&mut self.json(), value)
    }
}

/// An array being written (a sequence, a tuple, or a tuple variant's fields).
pub(crate) struct Seq<'a> {
    w: &'a mut Writer,
    first: bool,
    /// What closes it: `]`, or `]}` for a tuple variant.
    closers: &'static [u8],
}

impl Seq<'_> {
    #[inline]
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        if !std::mem::take(&mut self.first) {
            self.w.out.push(b',');
        }
        value.serialize(&mut *self.w)
    }

    #[inline]
    fn close(self) -> Result {
        self.w.out.extend_from_slice(self.closers);
        Ok(())
    }
}

macro_rules! seq_impl {
    ($($trait:ident::$method:ident),*) => {$(
        impl ser::$trait for Seq<'_> {
            type Ok = ();
            type Error = serde_json::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
                self.element(value)
            }
            fn end(self) -> Result {
                self.close()
            }
        }
    )*};
}

seq_impl!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// An object being written (a map, a struct, or a struct variant's fields).
pub(crate) struct Object<'a> {
    w: &'a mut Writer,
    /// Where its first member starts (just after `{`).
    start: usize,
    /// How many members it has so far.
    count: usize,
    /// Its previous member's key.
    prev: Prev,
    /// Once a key arrived out of order: where its members start in `Writer::members`.
    noted: Option<usize>,
    /// The map entry whose key is written (its span) and whose value is not yet.
    pending: Option<(usize, usize)>,
    /// What closes it: `}`, or `}}` for a struct variant.
    closers: &'static [u8],
    /// A `serde_json::value::RawValue`: its one field is JSON text, written as it is.
    raw: bool,
}

impl Object<'_> {
    /// Starts a member whose key is `key`: checks the order (on the first key out of order,
    /// notes the members written so far) and writes the `,` before it.
    #[inline]
    fn begin(&mut self, key: Prev) {
        if self.count == 0 {
            return;
        }
        if self.noted.is_none() && !self.in_order(key) {
            let end = self.w.out.len();
            self.note(end);
        }
        self.w.out.push(b',');
    }

    /// Notes the members written so far, which end at `end`: a key arrived out of order.
    #[cold]
    fn note(&mut self, end: usize) {
        let first = self.w.members.len();
        let start = self.start;
        scan_members(&self.w.out[start..end], start, &mut self.w.members);
        self.noted = Some(first);
    }

    /// Whether `key` may follow the previous key.
    fn in_order(&self, key: Prev) -> bool {
        text_cmp(&self.w.key_text(self.prev), &self.w.key_text(key)) != Ordering::Greater
    }

    /// Ends the member that started at `start` with its key ending at `key_end`.
    #[inline]
    fn end(&mut self, start: usize, key_end: usize, key: Prev) {
        if self.noted.is_some() {
            let end = self.w.out.len();
            self.w.members.push(Member {
                start,
                key_end,
                end,
            });
        }
        self.prev = key;
        self.count += 1;
    }

    #[inline]
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        if self.raw {
            return value.serialize(Raw(&mut self.w.out));
        }
        match self.prev {
            Prev::None => {}
            // The usual case, kept short: a struct's next field.
            Prev::Field(prev) => {
                if self.noted.is_none() && !field_follows(prev, key) {
                    let end = self.w.out.len();
                    self.note(end);
                }
                self.w.out.push(b',');
            }
            Prev::Written(..) => self.begin(Prev::Field(key)),
        }
        let start = self.w.out.len();
        ser::Serializer::serialize_str(&mut self.w.json(), key)?;
        let key_end = self.w.out.len();
        self.w.out.push(b':');
        value.serialize(&mut *self.w)?;
        self.end(start, key_end, Prev::Field(key));
        Ok(())
    }

    fn close(self) -> Result {
        let w = self.w;
        if let Some(first) = self.noted {
            let out = &mut w.out;
            let members = &mut w.members[first..];
            members.sort_by(|a, b| {
                let a = decoded_key(&out[a.start..a.key_end]);
                let b = decoded_key(&out[b.start..b.key_end]);
                text_cmp(&a, &b)
            });
            let scratch = &mut w.scratch;
            scratch.clear();
            for (i, m) in members.iter().enumerate() {
                if i > 0 {
                    scratch.push(b',');
                }
                scratch.extend_from_slice(&out[m.start..m.end]);
            }
            out[self.start..self.start + scratch.len()].copy_from_slice(scratch);
            w.members.truncate(first);
        }
        w.out.extend_from_slice(self.closers);
        Ok(())
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        // The key is written first (after the comma, if any), then compared.
        let comma = usize::from(self.count > 0);
        let start = self.w.out.len() + comma;
        if comma == 1 {
            self.w.out.push(b',');
        }
        key.serialize(MapKey(&mut *self.w))?;
        let key_end = self.w.out.len();
        if comma == 1 && self.noted.is_none() && !self.in_order(Prev::Written(start, key_end)) {
            self.note(start - 1);
        }
        self.w.out.push(b':');
        self.pending = Some((start, key_end));
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        let (start, key_end) = self
            .pending
            .take()
            .ok_or_else(|| serde_json::Error::custom("a map value without a key"))?;
        value.serialize(&mut *self.w)?;
        self.end(start, key_end, Prev::Written(start, key_end));
        Ok(())
    }

    fn end(self) -> Result {
        self.close()
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }

    fn end(self) -> Result {
        self.close()
    }
}

impl ser::SerializeStructVariant for Object<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }

    fn end(self) -> Result {
        self.close()
    }
}

/// Serializer methods that refuse their input with `$err()`.
macro_rules! reject {
    ($err:ident: $($method:ident),* $(,)?) => { $(reject!(@one $err $method);)* };
    (@one $err:ident serialize_bool) => { fn serialize_bool(self, _: bool) -> Result { Err($err()) } };
    (@one $err:ident serialize_i8) => { fn serialize_i8(self, _: i8) -> Result { Err($err()) } };
    (@one $err:ident serialize_i16) => { fn serialize_i16(self, _: i16) -> Result { Err($err()) } };
    (@one $err:ident serialize_i32) => { fn serialize_i32(self, _: i32) -> Result { Err($err()) } };
    (@one $err:ident serialize_i64) => { fn serialize_i64(self, _: i64) -> Result { Err($err()) } };
    (@one $err:ident serialize_u8) => { fn serialize_u8(self, _: u8) -> Result { Err($err()) } };
    (@one $err:ident serialize_u16) => { fn serialize_u16(self, _: u16) -> Result { Err($err()) } };
    (@one $err:ident serialize_u32) => { fn serialize_u32(self, _: u32) -> Result { Err($err()) } };
    (@one $err:ident serialize_u64) => { fn serialize_u64(self, _: u64) -> Result { Err($err()) } };
    (@one $err:ident serialize_f32) => { fn serialize_f32(self, _: f32) -> Result { Err($err()) } };
    (@one $err:ident serialize_f64) => { fn serialize_f64(self, _: f64) -> Result { Err($err()) } };
    (@one $err:ident serialize_char) => { fn serialize_char(self, _: char) -> Result { Err($err()) } };
    (@one $err:ident serialize_bytes) => { fn serialize_bytes(self, _: &[u8]) -> Result { Err($err()) } };
    (@one $err:ident serialize_none) => { fn serialize_none(self) -> Result { Err($err()) } };
    (@one $err:ident serialize_some) => {
        fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result { Err($err()) }
    };
    (@one $err:ident serialize_unit) => { fn serialize_unit(self) -> Result { Err($err()) } };
    (@one $err:ident serialize_unit_struct) => {
        fn serialize_unit_struct(self, _: &'static str) -> Result { Err($err()) }
    };
    (@one $err:ident serialize_unit_variant) => {
        fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result {
            Err($err())
        }
    };
    (@one $err:ident serialize_newtype_struct) => {
        fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, _: &T) -> Result {
            Err($err())
        }
    };
    (@one $err:ident serialize_newtype_variant) => {
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self, _: &'static str, _: u32, _: &'static str, _: &T,
        ) -> Result {
            Err($err())
        }
    };
    (@one $err:ident serialize_seq) => {
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> { Err($err()) }
    };
    (@one $err:ident serialize_tuple) => {
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> { Err($err()) }
    };
    (@one $err:ident serialize_tuple_struct) => {
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct> {
            Err($err())
        }
    };
    (@one $err:ident serialize_tuple_variant) => {
        fn serialize_tuple_variant(
            self, _: &'static str, _: u32, _: &'static str, _: usize,
        ) -> Result<Self::SerializeTupleVariant> {
            Err($err())
        }
    };
    (@one $err:ident serialize_map) => {
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> { Err($err()) }
    };
    (@one $err:ident serialize_struct) => {
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
            Err($err())
        }
    };
    (@one $err:ident serialize_struct_variant) => {
        fn serialize_struct_variant(
            self, _: &'static str, _: u32, _: &'static str, _: usize,
        ) -> Result<Self::SerializeStructVariant> {
            Err($err())
        }
    };
}

/// The compound types of a serializer that takes scalars only.
macro_rules! no_compounds {
    () => {
        type SerializeSeq = Impossible<(), serde_json::Error>;
        type SerializeTuple = Impossible<(), serde_json::Error>;
        type SerializeTupleStruct = Impossible<(), serde_json::Error>;
        type SerializeTupleVariant = Impossible<(), serde_json::Error>;
        type SerializeMap = Impossible<(), serde_json::Error>;
        type SerializeStruct = Impossible<(), serde_json::Error>;
        type SerializeStructVariant = Impossible<(), serde_json::Error>;
    };
}

fn key_must_be_a_string() -> serde_json::Error {
    serde_json::Error::custom("key must be a string")
}

/// Writes a map key as a JSON string, as `serde_json` does (strings, chars, integers,
/// finite floats, bools and unit variants; anything else is an error).
struct MapKey<'a>(&'a mut Writer);

impl MapKey<'_> {
    /// A key written by `serde_json` as a bare value (a number, a bool), quoted here.
    fn quoted(self, write: impl FnOnce(&mut Writer) -> Result) -> Result {
        let w = self.0;
        w.out.push(b'"');
        write(w)?;
        w.out.push(b'"');
        Ok(())
    }
}

macro_rules! quoted_keys {
    ($($method:ident($ty:ty)),*) => {$(
        fn $method(self, v: $ty) -> Result {
            self.quoted(|w| ser::Serializer::$method(&mut w.json(), v))
        }
    )*};
}

impl ser::Serializer for MapKey<'_> {
    type Ok = ();
    type Error = serde_json::Error;
    no_compounds!();

    quoted_keys!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128)
    );

    fn serialize_f32(self, v: f32) -> Result {
        if !v.is_finite() {
            return Err(serde_json::Error::custom(
                "float key must be finite (got NaN or +/-inf)",
            ));
        }
        self.quoted(|w| ser::Serializer::serialize_f32(&mut w.json(), v))
    }
    fn serialize_f64(self, v: f64) -> Result {
        if !v.is_finite() {
            return Err(serde_json::Error::custom(
                "float key must be finite (got NaN or +/-inf)",
            ));
        }
        self.quoted(|w| ser::Serializer::serialize_f64(&mut w.json(), v))
    }
    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        ser::Serializer::serialize_str(&mut self.0.json(), v)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result {
        self.serialize_str(&value.to_string())
    }

    reject!(key_must_be_a_string:
        serialize_bytes, serialize_none, serialize_some, serialize_unit, serialize_unit_struct,
        serialize_newtype_variant, serialize_seq, serialize_tuple, serialize_tuple_struct,
        serialize_tuple_variant, serialize_map, serialize_struct, serialize_struct_variant,
    );
}

/// A `RawValue`'s JSON text, written as it is (as `serde_json` does).
struct Raw<'a>(&'a mut Vec<u8>);

impl ser::Serializer for Raw<'_> {
    type Ok = ();
    type Error = serde_json::Error;
    no_compounds!();

    fn serialize_str(self, v: &str) -> Result {
        self.0.extend_from_slice(v.as_bytes());
        Ok(())
    }
    reject!(not_raw:
        serialize_bool, serialize_i8, serialize_i16, serialize_i32, serialize_i64, serialize_u8,
        serialize_u16, serialize_u32, serialize_u64, serialize_f32, serialize_f64, serialize_char,
        serialize_bytes, serialize_none, serialize_some, serialize_unit, serialize_unit_struct,
        serialize_unit_variant, serialize_newtype_struct, serialize_newtype_variant, serialize_seq,
        serialize_tuple, serialize_tuple_struct, serialize_tuple_variant, serialize_map,
        serialize_struct, serialize_struct_variant,
    );
}

fn not_raw() -> serde_json::Error {
    serde_json::Error::custom("a RawValue holds JSON text")
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde_json::{Value, json};

    use super::*;

    #[inline]
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
    fn key_order_is_utf16_order() {
        let texts = [
            "",
            "a",
            "ab",
            "a\u{7f}",
            "\u{80}",
            "\u{7ff}",
            "\u{800}",
            "\u{d7ff}",
            "\u{e000}",
            "\u{ff61}",
            "\u{ffff}",
            "\u{10000}",
            "\u{1f600}",
            "\u{10ffff}",
            "x\u{e000}",
            "x\u{10000}",
            "\u{1f600}a",
            "\u{1f601}",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(
                    text_cmp(a.as_bytes(), b.as_bytes()),
                    mizan_protocol::utf16_cmp(a, b),
                    "{a:?} against {b:?}"
                );
            }
        }
    }

    #[test]
    fn members_are_found_by_scanning_what_was_written() {
        let inside = br#""a":{"x":[1,"},\"",{}]},"b\"":"s,t","c":[]"#;
        let mut members = Vec::new();
        scan_members(inside, 10, &mut members);
        let spans: Vec<_> = members
            .iter()
            .map(|m| {
                let key = &inside[m.start - 10..m.key_end - 10];
                let all = &inside[m.start - 10..m.end - 10];
                (
                    String::from_utf8_lossy(key).into_owned(),
                    String::from_utf8_lossy(all).into_owned(),
                )
            })
            .collect();
        assert_eq!(
            spans,
            [
                (r#""a""#.to_owned(), r#""a":{"x":[1,"},\"",{}]}"#.to_owned()),
                (r#""b\"""#.to_owned(), r#""b\"":"s,t""#.to_owned()),
                (r#""c""#.to_owned(), r#""c":[]"#.to_owned()),
            ]
        );
    }

    #[test]
    fn a_key_sorts_after_its_prefixes() {
        // `"a"` must come first although `"` sorts after ` ` and `!` byte-wise.
        let map: HashMap<&str, i32> = HashMap::from([("a!", 1), ("a b", 2), ("a", 3)]);
        assert_eq!(text(&map), r#"{"a":3,"a b":2,"a!":1}"#);
        let keys: HashMap<i32, bool> = HashMap::from([(10, true), (9, false), (100, true)]);
        assert_eq!(text(&keys), r#"{"10":true,"100":true,"9":false}"#);
    }

    #[derive(Serialize)]
    #[serde(tag = "kind")]
    enum Tagged {
        Circle { radius: f64 },
        Named(BTreeMap<String, i32>),
    }

    #[derive(Serialize)]
    enum External {
        Unit,
        New(u8),
        Tuple(u8, String),
        Fields { z: u8, a: u8 },
    }

    #[derive(Serialize)]
    struct Flat {
        zz: u8,
        #[serde(flatten)]
        rest: HashMap<String, u8>,
        #[serde(skip_serializing_if = "Option::is_none")]
        gone: Option<u8>,
        #[serde(rename = "A b")]
        renamed: (i128, u128, char, Vec<u8>),
    }

    /// What every shape must come out as: `serde_json`'s own output, re-read into a
    /// `Value` (whose map is a `BTreeMap`, sorted; for these ASCII keys byte order is
    /// UTF-16 order) and written again.
    fn canonical<T: Serialize>(value: &T) -> String {
        let value = serde_json::to_value(value).expect("serializes");
        serde_json::to_string(&value).expect("serializes")
    }

    #[test]
    fn every_serde_shape_comes_out_as_serde_json_writes_it_sorted() {
        let flat = Flat {
            zz: 1,
            rest: HashMap::from([("m".into(), 2), ("b".into(), 3), ("zzz".into(), 4)]),
            gone: None,
            renamed: (-(1 << 60), 1 << 60, '\u{e9}', vec![1, 2]),
        };
        assert_eq!(text(&flat), canonical(&flat));
        let tagged = vec![
            Tagged::Circle { radius: 1.5 },
            Tagged::Named(BTreeMap::from([("x".into(), 1)])),
        ];
        assert_eq!(
            text(&tagged),
            r#"[{"kind":"Circle","radius":1.5},{"kind":"Named","x":1}]"#
        );
        assert_eq!(text(&tagged), canonical(&tagged));
        let external = vec![
            External::Unit,
            External::New(1),
            External::Tuple(2, "t".into()),
            External::Fields { z: 3, a: 4 },
        ];
        assert_eq!(
            text(&external),
            r#"["Unit",{"New":1},{"Tuple":[2,"t"]},{"Fields":{"a":4,"z":3}}]"#
        );
        let odd = json!([
            f64::NAN,
            1e300,
            -0.0,
            null,
            "\u{1}\"\\/",
            [],
            {},
            [[{}]],
            255u8
        ]);
        assert_eq!(text(&odd), canonical(&odd));
        assert_eq!(text(&f64::INFINITY), "null");
        let wide = (i128::MIN, u128::MAX);
        assert_eq!(
            text(&wide),
            serde_json::to_string(&wide).expect("serializes")
        );
        assert_eq!(text(&Some(Some(()))), "null");
        let keys = BTreeMap::from([(true, 1), (false, 2)]);
        assert_eq!(text(&keys), r#"{"false":2,"true":1}"#);
        let floats: Vec<(f64, u8)> = vec![(2.5, 1), (10.0, 2)];
        let floats: HashMap<String, u8> = floats
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(text(&floats), canonical(&floats));
    }

    #[test]
    fn keys_that_are_not_strings_are_errors_as_in_serde_json() {
        let map = HashMap::from([(vec![1u8], 1)]);
        assert!(to_sorted_vec(&map, 0).is_err());
        assert!(serde_json::to_vec(&map).is_err());
        let map = HashMap::from([(Some(1), 1)]);
        assert!(to_sorted_vec(&map, 0).is_err());
        let nan = BTreeMap::from([(OrderedF64(f64::NAN), 1)]);
        assert!(to_sorted_vec(&nan, 0).is_err());
        let ok = BTreeMap::from([(OrderedF64(0.5), 1), (OrderedF64(-1.0), 2)]);
        assert_eq!(text(&ok), r#"{"-1.0":2,"0.5":1}"#);
        assert_eq!(text(&ok), serde_json::to_string(&ok).expect("serializes"));
    }

    /// An `f64` usable as a map key.
    #[derive(PartialEq, Serialize)]
    struct OrderedF64(f64);
    impl Eq for OrderedF64 {}
    impl PartialOrd for OrderedF64 {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for OrderedF64 {
        fn cmp(&self, other: &Self) -> Ordering {
            self.0.total_cmp(&other.0)
        }
    }

    #[test]
    fn raw_values_are_written_as_they_are() {
        let raw = serde_json::value::RawValue::from_string(r#"{"z":1,"a":[2]}"#.into())
            .expect("valid JSON");
        let map = BTreeMap::from([("r", raw)]);
        assert_eq!(text(&map), r#"{"r":{"z":1,"a":[2]}}"#);
    }

    #[test]
    fn generated_trees_match_serde_json_sorted() {
        // A small deterministic generator (xorshift): objects with shuffled keys, arrays,
        // strings needing escapes, numbers.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        fn tree(next: &mut dyn FnMut() -> u64, depth: u32) -> Value {
            match next() % if depth > 3 { 4 } else { 6 } {
                0 => Value::Null,
                1 => json!(next() % 1000),
                2 => json!(format!("s\"{}\n", next() % 50)),
                3 => json!((next() % 1000) as f64 / 8.0),
                4 => Value::Array((0..next() % 4).map(|_| tree(next, depth + 1)).collect()),
                _ => {
                    let mut map = HashMap::new();
                    for _ in 0..next() % 6 {
                        let key = format!(
                            "{}{}",
                            ["a", "B", "a b", "é", "\t"][(next() % 5) as usize],
                            next() % 9
                        );
                        map.insert(key, tree(next, depth + 1));
                    }
                    serde_json::to_value(map).expect("a map")
                }
            }
        }
        for _ in 0..500 {
            let value = tree(&mut next, 0);
            // A HashMap-backed copy, so objects arrive in an arbitrary order.
            let shuffled: Shuffled<'_> = Shuffled(&value);
            assert_eq!(
                text(&shuffled),
                serde_json::to_string(&value).expect("serializes")
            );
        }
    }

    /// Serializes a `Value` with each object's members in reverse order.
    struct Shuffled<'a>(&'a Value);
    impl Serialize for Shuffled<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            use serde::ser::{SerializeMap, SerializeSeq};
            match self.0 {
                Value::Object(map) => {
                    // Reversed, then every third member moved to the front: objects go out
                    // of order at their second, or at a later, member.
                    let mut order: Vec<_> = map.iter().rev().collect();
                    order.sort_by_key(|(k, _)| k.len() % 3 != 0);
                    let mut m = s.serialize_map(Some(map.len()))?;
                    for (k, v) in order {
                        m.serialize_entry(k, &Shuffled(v))?;
                    }
                    m.end()
                }
                Value::Array(items) => {
                    let mut q = s.serialize_seq(Some(items.len()))?;
                    for v in items {
                        q.serialize_element(&Shuffled(v))?;
                    }
                    q.end()
                }
                other => other.serialize(s),
            }
        }
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
