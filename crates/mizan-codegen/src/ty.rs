//! TypeScript type expressions and their printing.

use crate::names::property_key;

/// A TypeScript type expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ty {
    /// A keyword or global type: `string`, `number`, `boolean`, `null`, `unknown`, `never`,
    /// `undefined`, `Response`.
    Keyword(&'static str),
    /// A literal type, as source text (`"circle"`, `3`, `true`).
    Literal(String),
    /// A named type of `types.ts` (printed with the file's prefix, `T.` outside it).
    Ref(String),
    /// `T[]`.
    Array(Box<Ty>),
    /// `[A, B?, ...R[]]`: the first `required` items are required.
    Tuple {
        items: Vec<Ty>,
        required: usize,
        rest: Option<Box<Ty>>,
    },
    /// An object type.
    Object(Object),
    /// `A | B`, with an optional doc comment per member.
    Union(Vec<(Ty, Doc)>),
    /// `A & B`.
    Intersection(Vec<Ty>),
}

/// An object type: properties and an index signature.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Object {
    pub(crate) props: Vec<Prop>,
    pub(crate) index: Option<Box<Ty>>,
}

/// One property of an object type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Prop {
    pub(crate) key: String,
    pub(crate) optional: bool,
    pub(crate) ty: Ty,
    pub(crate) doc: Doc,
}

/// The lines of a doc comment (empty: no comment).
pub(crate) type Doc = Vec<String>;

pub(crate) const UNKNOWN: Ty = Ty::Keyword("unknown");
pub(crate) const NEVER: Ty = Ty::Keyword("never");

impl Ty {
    /// A union of `members`, flattened, without duplicates; `unknown` absorbs everything,
    /// `never` disappears, and one member is itself.
    pub(crate) fn union(members: Vec<(Ty, Doc)>) -> Ty {
        let mut out: Vec<(Ty, Doc)> = Vec::new();
        let push = |ty: Ty, doc: Doc, out: &mut Vec<(Ty, Doc)>| {
            if ty == NEVER {
                return;
            }
            match out.iter_mut().find(|(t, _)| *t == ty) {
                Some((_, d)) if d.is_empty() => *d = doc,
                Some(_) => {}
                None => out.push((ty, doc)),
            }
        };
        for (ty, doc) in members {
            match ty {
                Ty::Union(inner) => {
                    for (t, d) in inner {
                        push(t, d, &mut out);
                    }
                }
                ty => push(ty, doc, &mut out),
            }
        }
        if out.iter().any(|(t, _)| *t == UNKNOWN) {
            return UNKNOWN;
        }
        match out.len() {
            0 => NEVER,
            1 => out.pop().map_or(NEVER, |(t, _)| t),
            _ => Ty::Union(out),
        }
    }

    /// An intersection of `parts`, flattened; `unknown` parts disappear.
    pub(crate) fn intersection(parts: Vec<Ty>) -> Ty {
        let mut out = Vec::new();
        for part in parts {
            match part {
                Ty::Intersection(inner) => out.extend(inner),
                t if t == UNKNOWN => {}
                t => {
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
        }
        match out.len() {
            0 => UNKNOWN,
            1 => out.pop().unwrap_or(UNKNOWN),
            _ => Ty::Intersection(out),
        }
    }
}

/// Prints types for one file: `prefix` goes in front of every named type (`"T."`).
pub(crate) struct Printer<'a> {
    pub(crate) prefix: &'a str,
}

impl Printer<'_> {
    /// `ty` as it stands after `type X = ` or `key: ` on a line indented by `indent`
    /// spaces: a union with multi-line members or docs starts on the next line, one member
    /// per line.
    pub(crate) fn top(&self, ty: &Ty, indent: usize) -> String {
        if let Ty::Union(members) = ty {
            let members_text: Vec<String> = members
                .iter()
                .map(|(t, _)| self.print(t, indent + 4))
                .collect();
            let multiline = members.iter().any(|(_, d)| !d.is_empty())
                || members_text.iter().any(|t| t.contains('\n'));
            if multiline {
                let pad = " ".repeat(indent + 2);
                let mut out = String::new();
                for ((_, doc), text) in members.iter().zip(members_text) {
                    out.push('\n');
                    out.push_str(&doc_comment(doc, indent + 2));
                    out.push_str(&pad);
                    out.push_str("| ");
                    out.push_str(&text);
                }
                return out;
            }
        }
        self.print(ty, indent)
    }

    /// `ty` inline; objects span lines, indented from `indent`.
    pub(crate) fn print(&self, ty: &Ty, indent: usize) -> String {
        match ty {
            Ty::Keyword(k) => (*k).to_owned(),
            Ty::Literal(l) => l.clone(),
            Ty::Ref(name) => format!("{}{name}", self.prefix),
            Ty::Array(item) => format!("{}[]", self.operand(item, indent)),
            Ty::Tuple {
                items,
                required,
                rest,
            } => {
                let mut parts: Vec<String> = items
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let text = self.print(t, indent);
                        if i < *required {
                            text
                        } else {
                            format!("{}?", self.operand(t, indent))
                        }
                    })
                    .collect();
                if let Some(rest) = rest {
                    parts.push(format!("...{}[]", self.operand(rest, indent)));
                }
                format!("[{}]", parts.join(", "))
            }
            Ty::Object(object) => self.object(object, indent),
            Ty::Union(members) => members
                .iter()
                .map(|(t, _)| self.print(t, indent))
                .collect::<Vec<_>>()
                .join(" | "),
            Ty::Intersection(parts) => parts
                .iter()
                .map(|t| self.operand(t, indent))
                .collect::<Vec<_>>()
                .join(" & "),
        }
    }

    /// `ty` where a union or intersection needs parentheses (before `[]`, `?`, in `&`).
    fn operand(&self, ty: &Ty, indent: usize) -> String {
        match ty {
            Ty::Union(_) | Ty::Intersection(_) => format!("({})", self.print(ty, indent)),
            _ => self.print(ty, indent),
        }
    }

    /// An object type: `{}`, `{ [key: string]: V }` on one line, else one member per line.
    pub(crate) fn object(&self, object: &Object, indent: usize) -> String {
        match (&object.props[..], &object.index) {
            ([], None) => "{}".to_owned(),
            ([], Some(index)) => format!("{{ [key: string]: {} }}", self.print(index, indent)),
            (props, index) => {
                let pad = " ".repeat(indent + 2);
                let mut out = String::from("{\n");
                for prop in props {
                    out.push_str(&doc_comment(&prop.doc, indent + 2));
                    out.push_str(&pad);
                    out.push_str(&property_key(&prop.key));
                    if prop.optional {
                        out.push('?');
                    }
                    out.push(':');
                    out.push_str(&spaced(&self.top(&prop.ty, indent + 2)));
                    out.push_str(";\n");
                }
                if let Some(index) = index {
                    out.push_str(&pad);
                    out.push_str("[key: string]:");
                    out.push_str(&spaced(&self.top(index, indent + 2)));
                    out.push_str(";\n");
                }
                out.push_str(&" ".repeat(indent));
                out.push('}');
                out
            }
        }
    }
}

/// `text` after a `:` or `=`: on the same line after a space, unless it starts on the next.
pub(crate) fn spaced(text: &str) -> String {
    if text.starts_with('\n') {
        text.to_owned()
    } else {
        format!(" {text}")
    }
}

/// A `/** … */` comment indented by `indent` spaces, ending with a newline; empty for no
/// lines. `*/` inside the text is broken up.
pub(crate) fn doc_comment(lines: &[String], indent: usize) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let pad = " ".repeat(indent);
    let clean: Vec<String> = lines
        .iter()
        .map(|l| l.replace("*/", "*\\/").trim_end().to_owned())
        .collect();
    if let [line] = &clean[..] {
        return format!("{pad}/** {line} */\n");
    }
    let mut out = format!("{pad}/**\n");
    for line in clean {
        if line.is_empty() {
            out.push_str(&format!("{pad} *\n"));
        } else {
            out.push_str(&format!("{pad} * {line}\n"));
        }
    }
    out.push_str(&format!("{pad} */\n"));
    out
}
