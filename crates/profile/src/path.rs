//! [`JsonPath`]: where in a profile document a value sits
//! (`ike_proposals[1]`, `gateway.port`).

use std::fmt;

/// One step into a JSON document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    /// A member of an object.
    Key(&'static str),
    /// An element of an array (0-based).
    Index(usize),
}

/// The location of a value inside a profile, from the top-level object.
/// The empty path is the profile itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonPath(Vec<PathSegment>);

impl JsonPath {
    /// The top-level object.
    pub fn root() -> JsonPath {
        JsonPath(Vec::new())
    }

    /// This path extended by the member `key`.
    pub fn key(&self, key: &'static str) -> JsonPath {
        let mut p = self.clone();
        p.0.push(PathSegment::Key(key));
        p
    }

    /// This path extended by the array element `index`.
    pub fn index(&self, index: usize) -> JsonPath {
        let mut p = self.clone();
        p.0.push(PathSegment::Index(index));
        p
    }

    /// The steps from the top-level object.
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }

    /// The enclosing value's path (`None` for the root).
    pub fn parent(&self) -> Option<JsonPath> {
        let (_, rest) = self.0.split_last()?;
        Some(JsonPath(rest.to_vec()))
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("profile");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSegment::Key(k) if i == 0 => f.write_str(k)?,
                PathSegment::Key(k) => write!(f, ".{k}")?,
                PathSegment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let p = JsonPath::root()
            .key("auth")
            .key("rounds")
            .index(2)
            .key("method");
        assert_eq!(p.to_string(), "auth.rounds[2].method");
        assert_eq!(JsonPath::root().to_string(), "profile");
        assert_eq!(p.parent().unwrap().to_string(), "auth.rounds[2]");
        assert_eq!(JsonPath::root().parent(), None);
    }
}
