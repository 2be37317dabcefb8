//! A small JSON scanner that remembers where every value is, so that errors
//! found after deserialization can name a line and column.
//!
//! It reads documents serde_json has already accepted, so it is strict and
//! simply gives up (returns `None`) on anything unexpected; callers then
//! fall back to a coarser position.

use crate::path::{JsonPath, PathSegment};

/// Nesting depth at which the scanner gives up (serde_json's own limit).
const MAX_DEPTH: usize = 128;

/// A value and its byte span in the text.
#[derive(Debug)]
pub(crate) struct Node {
    /// Offset of the value's first byte.
    pub start: usize,
    /// Offset just past the value's last byte.
    pub end: usize,
    /// What the value is.
    pub kind: Kind,
}

/// The kinds of value the callers distinguish.
#[derive(Debug)]
pub(crate) enum Kind {
    /// An object, members in document order.
    Object(Vec<Member>),
    /// An array.
    Array(Vec<Node>),
    /// A string, unescaped.
    String(String),
    /// A number, `true`, `false` or `null`.
    Scalar,
}

/// One `"key": value` of an object.
#[derive(Debug)]
pub(crate) struct Member {
    /// The key, unescaped.
    pub key: String,
    /// Offset of the key's opening quote.
    pub key_start: usize,
    /// Offset just past the key's closing quote.
    pub key_end: usize,
    /// The value.
    pub value: Node,
}

/// Scans `text` as one JSON value.
pub(crate) fn scan(text: &str) -> Option<Node> {
    let mut s = Scanner {
        b: text.as_bytes(),
        i: 0,
    };
    let node = s.value(0)?;
    s.ws();
    (s.i == s.b.len()).then_some(node)
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        let start = self.i;
        let kind = match *self.b.get(self.i)? {
            b'{' => self.object(depth)?,
            b'[' => self.array(depth)?,
            b'"' => Kind::String(self.string()?),
            _ => {
                while matches!(self.b.get(self.i), Some(c) if c.is_ascii_alphanumeric() || b"+-.".contains(c))
                {
                    self.i += 1;
                }
                if self.i == start {
                    return None;
                }
                Kind::Scalar
            }
        };
        Some(Node {
            start,
            end: self.i,
            kind,
        })
    }

    fn object(&mut self, depth: usize) -> Option<Kind> {
        self.i += 1;
        let mut members = Vec::new();
        if self.eat(b'}').is_some() {
            return Some(Kind::Object(members));
        }
        loop {
            self.ws();
            let key_start = self.i;
            let key = self.string()?;
            let key_end = self.i;
            self.eat(b':')?;
            let value = self.value(depth + 1)?;
            members.push(Member {
                key,
                key_start,
                key_end,
                value,
            });
            if self.eat(b',').is_none() {
                self.eat(b'}')?;
                return Some(Kind::Object(members));
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Kind> {
        self.i += 1;
        let mut items = Vec::new();
        if self.eat(b']').is_some() {
            return Some(Kind::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            if self.eat(b',').is_none() {
                self.eat(b']')?;
                return Some(Kind::Array(items));
            }
        }
    }

    /// A string starting at the current `"`; leaves `i` past the closing one.
    fn string(&mut self) -> Option<String> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return String::from_utf8(out).ok();
                }
                b'\\' => {
                    let c = *self.b.get(self.i + 1)?;
                    self.i += 2;
                    let ch = match c {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let hex = std::str::from_utf8(self.b.get(self.i..self.i + 4)?).ok()?;
                            self.i += 4;
                            let n = u32::from_str_radix(hex, 16).ok()?;
                            char::from_u32(n).unwrap_or(char::REPLACEMENT_CHARACTER)
                        }
                        other => char::from(other),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }
}

impl Node {
    /// The value at `path`, if present.
    pub fn find(&self, path: &JsonPath) -> Option<&Node> {
        let mut node = self;
        for seg in path.segments() {
            node = match (seg, &node.kind) {
                (PathSegment::Key(k), Kind::Object(ms)) => &ms.iter().rfind(|m| m.key == *k)?.value,
                (PathSegment::Index(i), Kind::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The deepest value whose span ends at or contains the position just
    /// before `offset`, with its path written as in messages
    /// (`gateway.port`; empty for the root).
    pub fn innermost(&self, offset: usize) -> (&Node, String) {
        let mut node = self;
        let mut path = String::new();
        loop {
            let child = match &node.kind {
                Kind::Object(ms) => ms
                    .iter()
                    .find(|m| m.value.start < offset && offset <= m.value.end)
                    .map(|m| {
                        let sep = if path.is_empty() { "" } else { "." };
                        (&m.value, format!("{sep}{}", m.key))
                    }),
                Kind::Array(items) => items
                    .iter()
                    .enumerate()
                    .find(|(_, n)| n.start < offset && offset <= n.end)
                    .map(|(i, n)| (n, format!("[{i}]"))),
                _ => None,
            };
            match child {
                Some((c, seg)) => {
                    node = c;
                    path.push_str(&seg);
                }
                None => return (node, path),
            }
        }
    }

    /// The member of this object named `key` that ends nearest before
    /// `offset` (or the last one of that name).
    pub fn member_named(&self, key: &str, offset: usize) -> Option<&Member> {
        let Kind::Object(ms) = &self.kind else {
            return None;
        };
        let named = || ms.iter().filter(|m| m.key == key);
        named()
            .rfind(|m| m.key_end <= offset)
            .or_else(|| named().next_back())
    }

    /// The first object member named `key` anywhere inside this value
    /// (depth first), with the path of its object relative to this value
    /// (`rounds[0]`; empty for this value itself).
    pub fn find_key(&self, key: &str) -> Option<(String, &Member)> {
        self.search(&mut |n| match &n.kind {
            Kind::Object(ms) => ms.iter().find(|m| m.key == key),
            _ => None,
        })
    }

    /// The first string value equal to `value` anywhere inside this value
    /// (depth first), with its path relative to this value.
    pub fn find_string(&self, value: &str) -> Option<(String, &Node)> {
        self.search(&mut |n| match &n.kind {
            Kind::String(s) if s == value => Some(n),
            _ => None,
        })
    }

    fn search<'n, T>(&'n self, hit: &mut dyn FnMut(&'n Node) -> Option<T>) -> Option<(String, T)> {
        if let Some(t) = hit(self) {
            return Some((String::new(), t));
        }
        let join = |seg: String, rest: String| {
            if rest.is_empty() || rest.starts_with('[') {
                format!("{seg}{rest}")
            } else {
                format!("{seg}.{rest}")
            }
        };
        match &self.kind {
            Kind::Object(ms) => ms.iter().find_map(|m| {
                let (rest, t) = m.value.search(hit)?;
                Some((join(m.key.clone(), rest), t))
            }),
            Kind::Array(items) => items.iter().enumerate().find_map(|(i, n)| {
                let (rest, t) = n.search(hit)?;
                Some((join(format!("[{i}]"), rest), t))
            }),
            _ => None,
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    // Count characters, not bytes: skip UTF-8 continuation bytes.
    let column = 1 + before[line_start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count();
    (line, column)
}

/// The byte offset just past what serde_json had read when it reported
/// `line`/`column` (its column counts the bytes read on that line).
pub(crate) fn serde_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    (line_start + column).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{\n  \"a\": {\"b\": [1, \"x\\\"y\", {\"c\": null}]},\n  \"é\": 2\n}";

    #[test]
    fn finds_values_by_path() {
        let root = scan(DOC).unwrap();
        let path = JsonPath::root().key("a").key("b").index(1);
        let n = root.find(&path).unwrap();
        assert!(matches!(&n.kind, Kind::String(s) if s == "x\"y"));
        assert_eq!(line_col(DOC, n.start), (2, 18));
        assert!(root.find(&JsonPath::root().key("zz")).is_none());
        assert!(scan("{\"a\": }").is_none());
        assert!(scan(&"[".repeat(200)).is_none());
    }

    #[test]
    fn innermost_and_positions() {
        let root = scan(DOC).unwrap();
        let c = root
            .find(&JsonPath::root().key("a").key("b").index(2).key("c"))
            .unwrap();
        let (n, path) = root.innermost(c.end);
        assert_eq!(path, "a.b[2].c");
        assert_eq!(n.start, c.start);
        // serde_json reports the byte column of the last byte read.
        let (line, col) = line_col(DOC, c.end);
        assert_eq!(serde_offset(DOC, line, col - 1), c.end);
        let last = root.find(&JsonPath::root()).unwrap();
        assert_eq!(line_col(DOC, last.end - 1), (4, 1));
        // Characters, not bytes, after the non-ASCII key.
        let two = DOC.rfind('2').unwrap();
        assert_eq!(line_col(DOC, two), (3, 8));
    }
}
